import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallOptions } from '../../core/call.js';

/** A request's abort signal, made only when a use case reads it (one that hashes): a signal per request costs. */
interface Watch {
  controller: AbortController | undefined;
  gone: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by watchForDisconnect. */
    disconnectWatch: Watch | null;
  }
}

/** Makes room for a watch on every request: one shape for all of them, and no side table per request. */
export function addDisconnectWatch(app: FastifyInstance): void {
  app.decorateRequest('disconnectWatch', null);
}

/**
 * Notes when the client goes away before its answer is written, so that the use case drops work
 * nobody will receive. `onGone` reports it.
 */
export function watchForDisconnect(request: FastifyRequest, reply: FastifyReply, onGone: () => void): void {
  const watch: Watch = { controller: undefined, gone: false };
  request.disconnectWatch = watch;
  reply.raw.on('close', () => {
    if (reply.raw.writableFinished) return;
    watch.gone = true;
    watch.controller?.abort();
    onGone();
  });
}

/** The request's abort signal, made on first use. */
function signalOf(request: FastifyRequest): AbortSignal | undefined {
  const watch = request.disconnectWatch;
  if (watch && !watch.controller) {
    watch.controller = new AbortController();
    if (watch.gone) watch.controller.abort();
  }
  return watch?.controller?.signal;
}

/**
 * What the use cases get to know of a request; the signal is made only if a use case reads it. A
 * class, not an object literal with a getter: V8 gives each such literal a hidden class of its own,
 * which under introspection load left ~100 MiB more resident and cost throughput.
 */
class HttpCall implements CallOptions {
  readonly clientAddress: string;
  readonly userAgent: string | undefined;

  constructor(private readonly request: FastifyRequest) {
    this.clientAddress = request.ip;
    this.userAgent = request.headers['user-agent'];
  }

  get signal(): AbortSignal | undefined {
    return signalOf(this.request);
  }
}

export const callOf = (request: FastifyRequest): CallOptions => new HttpCall(request);
