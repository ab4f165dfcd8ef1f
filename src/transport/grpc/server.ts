import { Server, ServerCredentials, type MethodDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';
import type { Endpoint, TlsMaterial } from '../endpoint.js';
import { builtDescriptors, type Descriptors } from './descriptors.js';
import { grpcServerOptions, type GrpcLimits } from './limits.js';
import { addReflection } from './reflection.js';
import { OVERSIZED, strictDeserializer } from './request-decoding.js';
import { methodName, type GrpcService } from './service.js';
import { InFlight, unaryCall, type CallDeps } from './unary-call.js';

/** Answers are ours: the largest is reflection's, a file with all its imports (Envoy's ext_authz: about 110 KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

export interface GrpcServerDeps extends CallDeps {
  /** Every service served. */
  services: readonly GrpcService[];
  /** The descriptors of every service and its messages; by default those built with the service (scripts/descriptors.sh). */
  descriptors?: Descriptors;
  endpoint: Endpoint;
  limits: GrpcLimits;
}

export interface GrpcServer {
  /** Health of '' and of every service: SERVING or not, as readiness says. 'liveness' stays SERVING. */
  setServing(serving: boolean): void;
  /** Resolves with the bound port. */
  listen(): Promise<number>;
  /** Waits for calls in flight (up to graceMs), then closes every connection. */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * Serves a service: each method's request decoded strictly by its descriptor (unless the service
 * reads its requests strictly itself), each call through unaryCall.
 */
function addService(server: Server, service: GrpcService, descriptors: Descriptors, deps: CallDeps & { limits: GrpcLimits }, inFlight: InFlight): void {
  const described = descriptors.registry.getService(service.name);
  if (!described) throw new Error(`no descriptor of ${service.name}: add its proto to scripts/descriptors.sh`);
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(service.definition)) {
    const rpcName = methodName(method.path);
    const input = described.methods.find((candidate) => candidate.name === rpcName)?.input;
    const handler = service.handlers[key];
    if (!input || !handler) throw new Error(`${method.path}: no descriptor or no handler`);
    if (method.requestStream || method.responseStream) throw new Error(`${method.path}: only unary methods are served`);
    // Every service but one that takes larger requests by nature is held to the port's limit.
    const maxBytes = service.maxRequestBytes === undefined ? deps.limits.maxMessageBytes : service.maxRequestBytes;
    const strict = service.readsRequestsStrictly ? method.requestDeserialize : strictDeserializer(input, method.requestDeserialize);
    const requestDeserialize = (bytes: Buffer) => (bytes.length > maxBytes ? OVERSIZED : strict(bytes));
    definition[key] = { ...method, requestDeserialize };
    implementation[key] = unaryCall(rpcName, handler, deps, inFlight);
  }
  server.addService(definition, implementation);
}

export function createGrpcServer(deps: GrpcServerDeps): GrpcServer {
  // grpc-js refuses, from its length prefix, what no service takes; each service's own limit is checked at decoding.
  const maxReceive = Math.max(deps.limits.maxMessageBytes, ...deps.services.map((service) => service.maxRequestBytes ?? 0));
  const server = new Server({
    ...grpcServerOptions(deps.limits),
    'grpc.max_receive_message_length': maxReceive,
    'grpc.max_send_message_length': MAX_RESPONSE_BYTES,
  });
  const descriptors = deps.descriptors ?? builtDescriptors();
  const inFlight = new InFlight();
  for (const service of deps.services) addService(server, service, descriptors, deps, inFlight);

  // '' and each service follow the database (readiness); 'liveness' is SERVING while the process
  // runs, so that a liveness probe does not restart pods during a database outage.
  const readinessNames = ['', ...deps.services.map((service) => service.name)];
  const statuses: ServingStatusMap = { liveness: 'SERVING' };
  for (const name of readinessNames) statuses[name] = 'NOT_SERVING';
  const health = new HealthImplementation(statuses);
  health.addToServer(server);
  addReflection(server, descriptors.files, [...deps.services.map((service) => service.name), HEALTH_SERVICE_NAME]);

  return {
    setServing(serving) {
      for (const name of readinessNames) health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
    },
    listen: () =>
      new Promise((resolve, reject) => {
        server.bindAsync(`${deps.endpoint.host}:${deps.endpoint.port}`, credentials(deps.endpoint.tls), (err, port) =>
          err ? reject(err) : resolve(port),
        );
      }),
    async shutdown(graceMs) {
      await Promise.race([inFlight.idle(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}

/** With a client CA, callers must present a certificate it signed (mTLS). */
function credentials(tls: TlsMaterial | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.clientCa !== undefined);
}
