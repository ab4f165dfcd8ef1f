import type { FastifyInstance, FastifyRequest } from 'fastify';
import { failureLevel, type Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import { watchForDisconnect } from './call.js';

/** Route label of requests that matched no route: the path itself is the caller's and never a label. */
const UNMATCHED_ROUTE = 'unmatched';

const failureCodes = new WeakMap<FastifyRequest, string>();

/** Remembers the error code a request answered with, for its log line. */
export function noteFailureCode(request: FastifyRequest, code: string): void {
  failureCodes.set(request, code);
}

/**
 * One log line and the metrics of every request, labelled by route pattern. The URL (its query may
 * hold access_token) and the headers (Authorization) are never logged.
 */
export function observeRequests(app: FastifyInstance, logger: Logger, metrics: Metrics): void {
  // A client that leaves before its answer gets none: counted and logged as aborted (499, nginx's
  // code), never as a status it was not sent.
  app.addHook('onRequest', async (request, reply) => {
    watchForDisconnect(request, reply, () => {
      const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
      const labels = { method: request.method, route, status: '499' };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
      logger.info({ method: request.method, route, status: 499, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request aborted by the client');
    });
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    const labels = { method: request.method, route, status: String(status) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    const line = { method: request.method, route, status, ms: Math.round(reply.elapsedTime * 10) / 10, code: failureCodes.get(request) };
    if (status >= 500 && status !== 503) logger.error(line, 'request failed');
    else if (status >= 400) logger[failureLevel(line.code)](line, 'request failed');
    else logger.debug(line, 'request');
  });
}
