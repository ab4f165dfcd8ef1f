import type { FastifyInstance, FastifyRequest } from 'fastify';
import { failureLevel, type Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import { addDisconnectWatch, watchForDisconnect } from './call.js';

/** Route label of requests that matched no route: the path itself is the caller's and never a label. */
const UNMATCHED_ROUTE = 'unmatched';
/** The status of a request whose client left before its answer (nginx's 499). */
const ABORTED = 499;

const failureCodes = new WeakMap<FastifyRequest, string>();

/** Remembers the error code a request answered with, for its log line. */
export function noteFailureCode(request: FastifyRequest, code: string): void {
  failureCodes.set(request, code);
}

/**
 * One log line and the metrics of every request, labelled by route pattern. The URL (its query may
 * hold access_token) and the headers (Authorization) are never logged. Callback-style hooks, as
 * they run on every request: no promise each.
 */
export function observeRequests(app: FastifyInstance, logger: Logger, metrics: Metrics): void {
  const record = (request: FastifyRequest, status: number, ms: number): void => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const labels = { method: request.method, route, status: String(status) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, ms / 1000);
    const code = failureCodes.get(request);
    const level = status === ABORTED ? 'info' : status >= 500 && status !== 503 ? 'error' : status >= 400 ? failureLevel(code) : 'debug';
    // Most requests succeed: their line is built only when it is written.
    if (!logger.isLevelEnabled(level)) return;
    const message = status === ABORTED ? 'request aborted by the client' : status >= 400 ? 'request failed' : 'request';
    logger[level]({ method: request.method, route, status, ms: Math.round(ms * 10) / 10, code }, message);
  };
  addDisconnectWatch(app);
  // A client that leaves before its answer gets none: counted and logged as aborted (499, nginx's
  // code), never as a status it was not sent.
  app.addHook('onRequest', (request, reply, done) => {
    watchForDisconnect(request, reply, () => record(request, ABORTED, reply.elapsedTime));
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    record(request, reply.statusCode, reply.elapsedTime);
    done();
  });
}
