import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { AuthCore } from '../../core/auth-core.js';
import { AuthError, ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import type { Endpoint, TlsMaterial } from '../endpoint.js';
import { failureOf, notFound, sendFailure } from './errors.js';
import { noteFailureCode, observeRequests } from './observe.js';
import { registerProbes } from './probes.js';
import { registerApiRoutes } from './routes.js';
import { registerSessionRoutes } from './session-routes.js';
import { registerVerificationRoutes } from './verification-routes.js';

/** Bodies are a few fields; anything larger is refused with 413 before it is parsed. */
const BODY_LIMIT_BYTES = 16 * 1024;

export interface HttpServerDeps {
  service: AuthCore;
  endpoint: Endpoint;
  logger: Logger;
  metrics: Metrics;
  /** The database answers and the process is not shutting down. */
  isReady: () => boolean;
  /** While true, API requests are refused with 503 (probes and metrics still answer). */
  isDraining: () => boolean;
  /** Origins GET /api/users/confirm may redirect to, besides paths on the gateway. */
  confirmRedirectOrigins: readonly string[];
}

export interface HttpServer {
  /** Resolves with the bound port. */
  listen(): Promise<number>;
  /** Stops accepting, lets requests in flight finish for up to graceMs, then closes every connection. */
  close(graceMs: number): Promise<void>;
}

function httpsOptions(tls: TlsMaterial | undefined): HttpsOptions | null {
  if (!tls) return null;
  const options: HttpsOptions = { cert: tls.cert, key: tls.key };
  if (tls.clientCa) Object.assign(options, { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true });
  return options;
}

/**
 * The LoopBack-style REST gateway on fastify. Fastify's logger is off: requests are logged once,
 * by observeRequests, without URL or headers.
 */
function buildApp(deps: HttpServerDeps, isClosing: () => boolean): FastifyInstance {
  const app = Fastify({
    https: httpsOptions(deps.endpoint.tls),
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Express, under LoopBack, matches paths case-insensitively and with a trailing slash:
    // LoopBack clients call /api/Users/login (the model's name) as often as /api/users/login.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    // Let requests that arrive on open connections during close reach our hook, which answers
    // 503 in LoopBack's error shape instead of fastify's.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ajv: {
      // JSON keeps its types: a string where an integer belongs is an error, never coerced.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allowUnionTypes: true },
    },
  });

  // An empty JSON body (curl -H 'Content-Type: application/json' with no -d, as logout clients do) is no body.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const json = body.toString(); // parseAs 'string' already gives a string; the type allows a Buffer
    if (json === '') done(null, undefined);
    else parseJson(request, json, done);
  });
  void app.register(formbody);

  observeRequests(app, deps.logger, deps.metrics);

  app.addHook('onRequest', async (request) => {
    const api = request.routeOptions.url?.startsWith('/api/') ?? false;
    if (api && (isClosing() || deps.isDraining())) {
      throw new AuthError(ErrorCode.SERVICE_UNAVAILABLE, 'server is shutting down');
    }
  });
  // Answers sent while closing end their connection, so that keep-alive cannot hold close() open.
  app.addHook('onSend', async (_request, reply) => {
    if (isClosing()) void reply.header('connection', 'close');
  });

  // Every failure, fastify's own included, leaves through failureOf: one mapping, one shape.
  const fail = (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const failure = failureOf(err);
    noteFailureCode(request, failure.code);
    return sendFailure(reply, failure);
  };
  app.setErrorHandler((err, request, reply) => fail(err, request, reply));
  app.setNotFoundHandler((request, reply) => fail(notFound(), request, reply));

  registerProbes(app, { metrics: deps.metrics, isReady: () => deps.isReady() && !deps.isDraining() && !isClosing() });
  registerApiRoutes(app, deps.service);
  registerSessionRoutes(app, deps.service);
  registerVerificationRoutes(app, deps.service, deps.confirmRedirectOrigins);
  return app;
}

export function createHttpServer(deps: HttpServerDeps): HttpServer {
  let closing = false;
  const app = buildApp(deps, () => closing);

  return {
    async listen() {
      await app.listen({ host: deps.endpoint.host, port: deps.endpoint.port });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('HTTP server has no TCP address');
      return address.port;
    },
    async close(graceMs) {
      closing = true;
      const closed = app.close();
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace-over'>((resolve) => {
        timer = setTimeout(() => resolve('grace-over'), graceMs);
      });
      const outcome = await Promise.race([closed.then(() => 'closed' as const), graceOver]);
      clearTimeout(timer);
      if (outcome === 'grace-over') {
        // Requests still running after the grace period are cut off.
        app.server.closeAllConnections();
        await closed;
      }
    },
  };
}
