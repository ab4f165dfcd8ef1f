import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallOptions } from '../../core/call.js';

const controllers = new WeakMap<FastifyRequest, AbortController>();

/**
 * Ties a request to an abort signal that fires when the client goes away before its answer is
 * written, so that the use case drops work nobody will receive. `onGone` reports it.
 */
export function watchForDisconnect(request: FastifyRequest, reply: FastifyReply, onGone: () => void): void {
  const controller = new AbortController();
  controllers.set(request, controller);
  reply.raw.once('close', () => {
    if (reply.raw.writableFinished) return;
    controller.abort();
    onGone();
  });
}

/** What the use cases get to know of a request. */
export function callOf(request: FastifyRequest): CallOptions {
  return { signal: controllers.get(request)?.signal, clientAddress: request.ip, userAgent: request.headers['user-agent'] };
}
