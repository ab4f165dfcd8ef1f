import type { ServerOptions } from '@grpc/grpc-js';

/** What one client may hold on the gRPC port. Keepalive, idle and age of 0 turn that limit off. */
export interface GrpcLimits {
  /** Largest request message; grpc-js refuses a larger one from its length prefix (RESOURCE_EXHAUSTED), before decoding. */
  maxMessageBytes: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: calls open at once on one connection. */
  maxConcurrentStreams: number;
  /** HTTP/2 session memory (nghttp2's buffers and streams) per connection; beyond it new streams are refused. */
  maxSessionMemoryMb: number;
  /** Ping each connection this often, to find peers that vanished without closing. */
  keepaliveTimeMs: number;
  /** Close the connection when a ping has no answer within this. */
  keepaliveTimeoutMs: number;
  /** Close (GOAWAY) a connection with no call for this long. */
  maxConnectionIdleMs: number;
  /** Close (GOAWAY) every connection after this long (±10 %), so that no connection holds streams for ever. */
  maxConnectionAgeMs: number;
  /** Calls running at that GOAWAY may finish within this (0: none may); then the connection is cut. */
  maxConnectionAgeGraceMs: number;
}

/** The grpc-js Server constructor options of this service: those that enforce `limits`, and channelz off. */
export function grpcServerOptions(limits: GrpcLimits): ServerOptions {
  const options: ServerOptions = {
    'grpc.max_receive_message_length': limits.maxMessageBytes,
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    'grpc-node.max_session_memory': limits.maxSessionMemoryMb,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    // No channelz service is served, and its per-call tracking cost 7–15 % of an empty call's CPU.
    'grpc.enable_channelz': 0,
  };
  // grpc-js reads an absent option as "no limit"; 0 must not reach it (it would close at once).
  if (limits.keepaliveTimeMs > 0) options['grpc.keepalive_time_ms'] = limits.keepaliveTimeMs;
  if (limits.maxConnectionIdleMs > 0) options['grpc.max_connection_idle_ms'] = limits.maxConnectionIdleMs;
  if (limits.maxConnectionAgeMs > 0) {
    options['grpc.max_connection_age_ms'] = limits.maxConnectionAgeMs;
    options['grpc.max_connection_age_grace_ms'] = limits.maxConnectionAgeGraceMs;
  }
  return options;
}
