import { Metadata, ServerInterceptingCall, status, type ServerInterceptingCallInterface, type ServerInterceptor } from '@grpc/grpc-js';
import { whenDecided, type AuthClient } from './client.js';
import { Any } from './gen/google/protobuf/any.js';
import { ErrorInfo } from './gen/google/rpc/error_details.js';
import { Status } from './gen/google/rpc/status.js';
import { refusalOf, type Refusal } from './refusal.js';
import { requiredScopesOf } from './scopes.js';
import type { AuthContext } from './token-check.js';

export interface AuthInterceptorOptions {
  /** Scopes the token must hold, on every method of the server unless methodScopes names it. */
  requiredScopes?: string[];
  /** Scopes by full method path (`/orders.v1.Orders/DeleteOrder`), in place of requiredScopes. */
  methodScopes?: Record<string, string[]>;
}

/** Same domain as the service's own errors: a caller handles both alike. */
const ERROR_DOMAIN = 'auth.v1';

const codeOf: Record<Refusal['kind'], status> = {
  unauthenticated: status.UNAUTHENTICATED,
  forbidden: status.PERMISSION_DENIED,
  unavailable: status.UNAVAILABLE,
};

/** Handlers find their caller by the metadata object grpc-js hands them as `call.metadata`. */
const callers = new WeakMap<Metadata, AuthContext>();

/** A refusal as a gRPC status whose `grpc-status-details-bin` is a google.rpc.Status with ErrorInfo (AIP-193). */
function statusOf(refusal: Refusal): Parameters<ServerInterceptingCallInterface['sendStatus']>[0] {
  const code = codeOf[refusal.kind];
  const info = ErrorInfo.encode({ reason: refusal.code, domain: ERROR_DOMAIN, metadata: {} }).finish();
  const details: Any[] = [{ typeUrl: 'type.googleapis.com/google.rpc.ErrorInfo', value: Buffer.from(info) }];
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(Status.encode({ code, message: refusal.message, details }).finish()));
  return { code, details: refusal.message, metadata };
}

/**
 * A grpc-js server interceptor (grpc-js 1.10+) that lets a call reach its handler only with an
 * active token in its `authorization` metadata holding every required scope. Refused calls end
 * UNAUTHENTICATED, PERMISSION_DENIED or (service unreachable) UNAVAILABLE.
 */
export function authInterceptor(client: AuthClient, options: AuthInterceptorOptions = {}): ServerInterceptor {
  const requiredScopes = requiredScopesOf(options.requiredScopes);
  const methodScopes = new Map(Object.entries(options.methodScopes ?? {}).map(([path, scopes]) => [path, requiredScopesOf(scopes)]));
  return (method, call) => {
    const scopes = methodScopes.get(method.path) ?? requiredScopes;
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, pass) {
            whenDecided(client, metadata.get('authorization').map(String), scopes, (verdict) => {
              if (!verdict.ok) return call.sendStatus(statusOf(refusalOf(verdict)));
              callers.set(metadata, verdict.auth);
              pass(metadata);
            });
          },
        });
      },
    });
  };
}

/** The caller of a call that authInterceptor let through; throws for any other call. */
export function authOf(call: { metadata: Metadata }): AuthContext {
  const auth = callers.get(call.metadata);
  if (!auth) throw new Error('authOf: this call did not pass authInterceptor');
  return auth;
}
