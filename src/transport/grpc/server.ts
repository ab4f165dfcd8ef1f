import { readFileSync } from 'node:fs';
import { Server, ServerCredentials, status, type handleUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { AuthCore } from '../../core/auth-core.js';
import type { Config } from '../../config.js';
import { AuthError, ErrorCode, toAuthError } from '../../core/errors.js';
import { AuthServiceService } from '../../gen/auth/v1/auth.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import { authRpcs, type AuthRpcs, type RpcName } from './handlers.js';
import { grpcServerOptions, type GrpcLimits } from './limits.js';
import { addReflection } from './reflection.js';
import { MALFORMED, strictAuthService } from './request-decoding.js';
import { toServiceError } from './status.js';

export const AUTH_SERVICE_NAME = 'auth.v1.AuthService';

export interface GrpcServerDeps {
  service: AuthCore;
  config: Config;
  limits: GrpcLimits;
  logger: Logger;
  metrics: Metrics;
  /** Refuses new calls (UNAVAILABLE) while the process shuts down. */
  isDraining: () => boolean;
}

/** Wraps one RPC: refusal while draining, AuthError mapping, a log line and metrics per call. */
function unary<M extends RpcName>(method: M, rpc: AuthRpcs[M], deps: GrpcServerDeps, inFlight: InFlight): handleUnaryCall<Parameters<AuthRpcs[M]>[0], Awaited<ReturnType<AuthRpcs[M]>>> {
  const rpcName = AuthServiceService[method].path.split('/').pop() ?? method;
  return (call, callback) => {
    const started = performance.now();
    const finish = (code: status, reason?: string): void => {
      const ms = performance.now() - started;
      const codeName = status[code];
      deps.metrics.grpcCalls.inc({ method: rpcName, code: codeName });
      deps.metrics.grpcDuration.observe({ method: rpcName, code: codeName }, ms / 1000);
      // Most calls succeed: their line is built only when debug lines are written.
      if (code === status.OK && !deps.logger.isLevelEnabled('debug')) return;
      const line = { rpc: rpcName, code: codeName, reason, ms: Math.round(ms * 10) / 10 };
      if (code === status.INTERNAL) deps.logger.error(line, 'call failed');
      else if (code === status.OK) deps.logger.debug(line, 'call');
      else deps.logger.warn(line, 'call failed');
    };
    if (deps.isDraining()) {
      const error = new AuthError(ErrorCode.SERVICE_UNAVAILABLE, 'server is shutting down');
      finish(status.UNAVAILABLE, error.code);
      callback(toServiceError(error));
      return;
    }
    if ((call.request as unknown) === MALFORMED) {
      const error = new AuthError(ErrorCode.INVALID_ARGUMENT, 'request is not a valid protobuf message');
      finish(status.INVALID_ARGUMENT, error.code);
      callback(toServiceError(error));
      return;
    }
    inFlight.started();
    rpc(call.request as never, call.metadata).then(
      (response) => {
        inFlight.ended();
        finish(status.OK);
        callback(null, response as never);
      },
      (err: unknown) => {
        inFlight.ended();
        const error = toAuthError(err);
        const serviceError = toServiceError(error);
        finish(serviceError.code ?? status.UNKNOWN, error.code);
        callback(serviceError);
      },
    );
  };
}

/** Counts calls in progress, so that shutdown can wait for them without a promise per call. */
class InFlight {
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

export interface GrpcServer {
  health: HealthImplementation;
  /** Resolves with the bound port. */
  listen(): Promise<number>;
  /** Waits for calls in flight (up to graceMs), then closes every connection. */
  shutdown(graceMs: number): Promise<void>;
}

export function createGrpcServer(deps: GrpcServerDeps): GrpcServer {
  const server = new Server({ ...grpcServerOptions(deps.limits) });
  const rpcs = authRpcs(deps.service);
  const inFlight = new InFlight();
  const implementation: UntypedServiceImplementation = {};
  for (const method of Object.keys(AuthServiceService) as RpcName[]) {
    implementation[method] = unary(method, rpcs[method] as AuthRpcs[typeof method], deps, inFlight);
  }
  server.addService(strictAuthService(), implementation);

  // '' and the service follow the database (readiness); 'liveness' is SERVING while the process
  // runs, so that a liveness probe does not restart pods during a database outage.
  const health = new HealthImplementation({ '': 'NOT_SERVING', [AUTH_SERVICE_NAME]: 'NOT_SERVING', liveness: 'SERVING' });
  health.addToServer(server);
  addReflection(server);

  return {
    health,
    listen: () =>
      new Promise((resolve, reject) => {
        server.bindAsync(`${deps.config.HOST}:${deps.config.GRPC_PORT}`, credentials(deps.config), (err, port) =>
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

function credentials(config: Config): ServerCredentials {
  if (!config.TLS_CERT_FILE || !config.TLS_KEY_FILE) return ServerCredentials.createInsecure();
  const rootCerts = config.TLS_CLIENT_CA_FILE ? readFileSync(config.TLS_CLIENT_CA_FILE) : null;
  return ServerCredentials.createSsl(
    rootCerts,
    [{ cert_chain: readFileSync(config.TLS_CERT_FILE), private_key: readFileSync(config.TLS_KEY_FILE) }],
    rootCerts !== null,
  );
}
