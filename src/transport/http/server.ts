import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerFactory } from 'fastify';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AuthCore } from '../../core/auth-core.js';
import { AuthError, ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import type { Endpoint, TlsMaterial } from '../endpoint.js';
import { failureOf, notFound, sendFailure } from './errors.js';
import { capConnections, clientErrorHandler, nodeServerOptions, type HttpLimits } from './limits.js';
import { noteFailureCode, observeRequests } from './observe.js';
import { PROBE_ROUTES, registerProbes } from './probes.js';
import { registerApiRoutes } from './routes.js';
import { registerSessionRoutes } from './session-routes.js';
import { createTokenReader } from './token.js';
import { registerVerificationRoutes } from './verification-routes.js';

/** Routes a transport adds to the HTTP server (forward auth, introspection, external logins). */
export type HttpRoutes = (app: FastifyInstance) => void;

export interface HttpServerDeps {
  service: AuthCore;
  /** Served beside the REST gateway, with its error handling, logging and metrics. */
  routes?: readonly HttpRoutes[];
  endpoint: Endpoint;
  limits: HttpLimits;
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

/** The node:http(s) server, made here so that it takes the limits' options at construction. */
function serverFactory(tls: TlsMaterial | undefined, limits: HttpLimits): FastifyServerFactory {
  const options = nodeServerOptions(limits);
  return (handler) => {
    if (!tls) return createHttp(options, handler);
    const mutualTls = tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {};
    return createHttps({ ...options, cert: tls.cert, key: tls.key, ...mutualTls }, handler);
  };
}

/**
 * The LoopBack-style REST gateway on fastify. Fastify's logger is off: requests are logged once,
 * by observeRequests, without URL or headers.
 */
function buildApp(deps: HttpServerDeps, isClosing: () => boolean): FastifyInstance {
  const { limits } = deps;
  const app = Fastify({
    serverFactory: serverFactory(deps.endpoint.tls, limits),
    clientErrorHandler: clientErrorHandler(deps.logger, deps.metrics),
    logger: false,
    bodyLimit: limits.maxBodyBytes,
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

  // Probes answer to the end, so that the pod is seen leaving; every other route is refused.
  // Callback-style hooks, as they run on every request: no promise each, and the route read only while closing.
  app.addHook('onRequest', (request, _reply, done) => {
    if (!isClosing() && !deps.isDraining()) return done();
    const url = request.routeOptions.url;
    done(url !== undefined && !PROBE_ROUTES.has(url) ? new AuthError(ErrorCode.SERVICE_UNAVAILABLE, 'server is shutting down') : undefined);
  });
  // Answers sent while closing end their connection, so that keep-alive cannot hold close() open.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (isClosing()) void reply.header('connection', 'close');
    done(null, payload);
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
  // One token reader for every route that takes a token: LoopBack's places, in LoopBack's order.
  const tokenOf = createTokenReader(deps.logger);
  registerApiRoutes(app, deps.service, tokenOf);
  registerSessionRoutes(app, deps.service, tokenOf);
  registerVerificationRoutes(app, deps.service, deps.confirmRedirectOrigins);
  for (const register of deps.routes ?? []) register(app);
  capConnections(app.server, limits, deps.metrics);
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
