import { STATUS_CODES, type ServerOptions } from 'node:http';
import type { Server, Socket } from 'node:net';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import { failureBody, failureOf, RequestError } from './errors.js';

/** What one client may hold on the REST port. */
export interface HttpLimits {
  /** Largest body; a larger one is 413 before it is parsed. */
  maxBodyBytes: number;
  /** From a request's first byte to the end of its headers. */
  headersTimeoutMs: number;
  /** From a request's first byte to the end of its body. */
  requestTimeoutMs: number;
  /** How long a connection may sit idle between requests. */
  keepAliveTimeoutMs: number;
  /** Connections open at once; more are closed as soon as they are accepted. */
  maxConnections: number;
}

/** How often Node looks for requests past their timeout: a slow request is cut within this of its timeout. */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/** The node:http(s) server options that enforce the timeouts of `limits`. */
export function nodeServerOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
  };
}

/** What Node gave up on before a request reached a route: a timeout or bytes that are not HTTP (undefined: a socket error). */
function cutFailure(err: NodeJS.ErrnoException): { reason: string; failure: RequestError } | undefined {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { reason: 'request_timeout', failure: new RequestError(408, 'REQUEST_TIMEOUT', 'request was not received in time') };
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return { reason: 'headers_too_large', failure: new RequestError(431, 'HEADERS_TOO_LARGE', 'request headers are too large') };
  }
  if (err.code?.startsWith('HPE_')) return { reason: 'malformed', failure: new RequestError(400, 'INVALID_ARGUMENT', 'malformed request') };
  return undefined;
}

/**
 * Fastify's clientErrorHandler: answers in LoopBack's shape (fastify's own would not be), counts
 * and logs the cut, and closes the connection. Socket errors (a reset, a broken pipe) only close it.
 */
export function clientErrorHandler(logger: Logger, metrics: Metrics): (err: NodeJS.ErrnoException, socket: Socket) => void {
  return (err, socket) => {
    const cut = socket.destroyed ? undefined : cutFailure(err);
    if (cut) {
      metrics.httpConnectionsCut.inc({ reason: cut.reason });
      logger.warn({ reason: cut.reason, code: cut.failure.code }, 'connection cut');
      if (socket.writable) {
        const answer = failureOf(cut.failure);
        const body = JSON.stringify(failureBody(answer));
        socket.write(
          `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
    }
    socket.destroy();
  };
}

/** Caps the connections `server` holds; each one refused is counted (not logged: a flood would flood the log too). */
export function capConnections(server: Server, limits: HttpLimits, metrics: Metrics): void {
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => metrics.httpConnectionsCut.inc({ reason: 'connection_limit' }));
}
