import type { Metadata, ServiceDefinition } from '@grpc/grpc-js';
import type { CallOptions } from '../../core/call.js';
import type { MALFORMED, OVERSIZED } from './request-decoding.js';

/** What a handler knows of its call besides the request. */
export interface GrpcCall {
  metadata: Metadata;
  /** The signal fires when the client cancels, disconnects or its deadline passes. */
  options: CallOptions;
}

/** One unary RPC as a plain async function of its request and call; errors are thrown as AuthError. */
export type UnaryHandler<Request, Response> = (request: Request, call: GrpcCall) => Promise<Response>;

/** A handler for every method of a grpc-js service definition, typed by the messages it (de)serializes. */
export type Handlers<D extends ServiceDefinition> = {
  [M in keyof D]: D[M] extends { requestDeserialize: (bytes: Buffer) => infer Request; responseSerialize: (value: infer Response) => Buffer }
    ? UnaryHandler<Exclude<Request, typeof MALFORMED | typeof OVERSIZED>, Response>
    : never;
};

/** A service the gRPC server serves: what the server needs of it, whatever its messages. */
export interface GrpcService {
  /** The protobuf full name (`auth.v1.AuthService`): its name for health checks, reflection and the descriptors. */
  readonly name: string;
  readonly definition: ServiceDefinition;
  /** By the definition's method keys. */
  readonly handlers: Readonly<Record<string, UnaryHandler<never, unknown>>>;
  /**
   * The definition's deserializers hold requests to the strict rules themselves (MALFORMED for a
   * request that is not protobuf or holds invalid UTF-8 where they read), and the server skips its
   * own strict pass, which walks every field. For requests that are large and mostly unread, such
   * as Envoy's CheckRequest.
   */
  readonly readsRequestsStrictly: boolean;
  /** Requests larger than the port's limit that this service takes by nature (Envoy's CheckRequest carries a request's headers). */
  readonly maxRequestBytes: number | undefined;
}

/** A service from its generated grpc-js definition (ts-proto's `outputServices=grpc-js`) and its handlers. */
export function grpcService<D extends ServiceDefinition>(
  definition: D,
  handlers: Handlers<D>,
  options: { readsRequestsStrictly?: boolean; maxRequestBytes?: number } = {},
): GrpcService {
  // Every method path is `/<service full name>/<method name>`.
  const name = Object.values(definition)[0]?.path.split('/')[1];
  if (!name) throw new Error('a gRPC service needs at least one method');
  return { name, definition, handlers, readsRequestsStrictly: options.readsRequestsStrictly ?? false, maxRequestBytes: options.maxRequestBytes };
}

/** A method's name as the proto declares it (`Login`), from its path. */
export function methodName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
