import { AuthError, ErrorCode } from './errors.js';

/** What a transport knows of the call a use case serves. */
export interface CallOptions {
  /** Aborted when the caller cancels or disconnects: work not yet begun is then dropped. */
  signal?: AbortSignal;
  /** When the caller stops waiting (ms since the epoch), if it said. */
  deadline?: number;
  /** The caller's network address as the transport saw it; undefined for callers inside the process. */
  clientAddress?: string;
  /** The caller's user agent (gRPC metadata or HTTP header `user-agent`), as sent. */
  userAgent?: string;
}

export const cancelled = (): AuthError => new AuthError(ErrorCode.CANCELLED, 'the caller cancelled or ran out of time');

/** Whether the caller has gone: cancelled, disconnected, or past its deadline. */
export function isGone(call: CallOptions, now = Date.now()): boolean {
  return call.signal?.aborted === true || (call.deadline !== undefined && now >= call.deadline);
}

/** Throws CANCELLED once the caller is gone, so that nothing (a token, say) is made for nobody. */
export function throwIfGone(call: CallOptions): void {
  if (isGone(call)) throw cancelled();
}
