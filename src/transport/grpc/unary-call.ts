import { status, type handleUnaryCall, type Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import type { CallOptions } from '../../core/call.js';
import { AuthError, ErrorCode, toAuthError } from '../../core/errors.js';
import { failureLevel, type Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import { MALFORMED, OVERSIZED } from './request-decoding.js';
import type { GrpcCall, UnaryHandler } from './service.js';
import { toServiceError } from './status.js';

export interface CallDeps {
  logger: Logger;
  metrics: Metrics;
  /** Refuses new calls (UNAVAILABLE) while the process shuts down. */
  isDraining: () => boolean;
}

/** Counts calls in progress, so that shutdown can wait for them without a promise per call. */
export class InFlight {
  private count = 0;
  private readonly waiters: (() => void)[] = [];

  started(): void {
    this.count++;
  }

  ended(): void {
    if (--this.count === 0) this.waiters.splice(0).forEach((resolve) => resolve());
  }

  /** Resolves once no call is in progress. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** The address of a grpc-js peer (`address:port`, IPv6 in brackets). */
const peerAddress = (peer: string): string => peer.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');

/**
 * What a use case may know of a call. grpc-js emits 'cancelled' when the client cancels or
 * disconnects, not when the deadline passes: the deadline travels as a time for the hashing queue.
 * It also emits it when the stream closes after the answer, so `detach` stops listening once the
 * call is answered: an abort then would cost for nothing.
 */
function callOptionsOf(call: ServerUnaryCall<unknown, unknown>): { options: CallOptions; detach: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  call.once('cancelled', abort);
  const deadline = Number(call.getDeadline());
  const userAgent = call.metadata.get('user-agent')[0];
  return {
    options: {
      signal: controller.signal,
      deadline: Number.isFinite(deadline) ? deadline : undefined,
      clientAddress: peerAddress(call.getPeer()),
      userAgent: typeof userAgent === 'string' ? userAgent : undefined,
    },
    detach: () => call.removeListener('cancelled', abort),
  };
}

/**
 * A call as a handler sees it, its options built on first use: ValidateToken, the hot path, never
 * asks, and a signal per call costs. A class, not an object literal with a getter: V8 gives each
 * such literal a hidden class of its own (see HttpCall in transport/http/call.ts for what that cost).
 */
class LazyGrpcCall implements GrpcCall {
  readonly metadata: Metadata;
  private built: ReturnType<typeof callOptionsOf> | undefined;

  constructor(private readonly call: ServerUnaryCall<unknown, unknown>) {
    this.metadata = call.metadata;
  }

  get options(): CallOptions {
    return (this.built ??= callOptionsOf(this.call)).options;
  }

  /** The deadline, if the options were built. */
  get deadline(): number | undefined {
    return this.built?.options.deadline;
  }

  /** Stops listening for cancellation once the call is answered. */
  answered(): void {
    this.built?.detach();
  }
}

/**
 * One RPC as grpc-js calls it: refusal while draining, MALFORMED requests answered
 * INVALID_ARGUMENT, AuthError mapping, a log line and metrics per call under `rpcName`.
 */
export function unaryCall(rpcName: string, handler: UnaryHandler<never, unknown>, deps: CallDeps, inFlight: InFlight): handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const started = performance.now();
    const finish = (code: status, reason?: string): void => {
      const ms = performance.now() - started;
      const codeName = status[code];
      deps.metrics.grpcCalls.inc({ method: rpcName, code: codeName });
      deps.metrics.grpcDuration.observe({ method: rpcName, code: codeName }, ms / 1000);
      const level = code === status.INTERNAL ? 'error' : code === status.OK ? 'debug' : failureLevel(reason);
      // Most calls succeed: their line is built only when it is written.
      if (!deps.logger.isLevelEnabled(level)) return;
      deps.logger[level]({ rpc: rpcName, code: codeName, reason, ms: Math.round(ms * 10) / 10 }, code === status.OK ? 'call' : 'call failed');
    };
    if (deps.isDraining()) {
      const error = new AuthError(ErrorCode.SERVICE_UNAVAILABLE, 'server is shutting down');
      finish(status.UNAVAILABLE, error.code);
      callback(toServiceError(error));
      return;
    }
    // Over its service's limit: refused as grpc-js refuses what is over the port's, before any handler.
    if (call.request === OVERSIZED) {
      callback({ code: status.RESOURCE_EXHAUSTED, details: 'request message larger than this service takes' });
      return;
    }
    if (call.request === MALFORMED) {
      const error = new AuthError(ErrorCode.INVALID_ARGUMENT, 'request is not a valid protobuf message');
      finish(status.INVALID_ARGUMENT, error.code);
      callback(toServiceError(error));
      return;
    }
    inFlight.started();
    const grpcCall = new LazyGrpcCall(call);
    handler(call.request as never, grpcCall).then(
      (response) => {
        grpcCall.answered();
        inFlight.ended();
        finish(status.OK);
        callback(null, response);
      },
      (err: unknown) => {
        grpcCall.answered();
        inFlight.ended();
        const error = toAuthError(err);
        const serviceError = toServiceError(error);
        // A call dropped because its caller left: counted as what ended it, never as a failed login.
        const deadline = grpcCall.deadline;
        const timedOut = error.code === ErrorCode.CANCELLED && deadline !== undefined && Date.now() >= deadline;
        finish(timedOut ? status.DEADLINE_EXCEEDED : (serviceError.code ?? status.UNKNOWN), error.code);
        callback(serviceError);
      },
    );
  };
}
