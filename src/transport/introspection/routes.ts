import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthCore } from '../../core/auth-core.js';
import { AuthError, ErrorCode } from '../../core/errors.js';
import type { Validation } from '../../core/sessions/validate.js';
import { callOf } from '../http/call.js';
import { failureOf } from '../http/errors.js';
import { noteFailureCode } from '../http/observe.js';
import type { HttpRoutes } from '../http/server.js';
import { basicCredentials, hasVerifiedCertificate, type ClientAuthenticator } from './client-auth.js';

export const INTROSPECTION_PATH = '/oauth/introspect';
export const METADATA_PATH = '/.well-known/oauth-authorization-server';

export interface IntrospectionDeps {
  core: AuthCore;
  /** Checks HTTP Basic client credentials; undefined when no clients file is configured. */
  authenticateClient: ClientAuthenticator | undefined;
  /** mTLS is on: a caller's verified certificate authenticates it. */
  mutualTls: boolean;
  /** RFC 8414 issuer; undefined: the scheme and Host of each metadata request. */
  issuer: string | undefined;
}

/** RFC 6749 §5.2 errors, as introspection answers them (RFC 7662 §2.3). */
type OAuthError = 'invalid_request' | 'invalid_client' | 'temporarily_unavailable' | 'server_error';

function sendOAuthError(request: FastifyRequest, reply: FastifyReply, status: number, error: OAuthError, description?: string): FastifyReply {
  noteFailureCode(request, error);
  if (error === 'invalid_client') void reply.header('www-authenticate', 'Basic realm="introspection", charset="UTF-8"');
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(description === undefined ? { error } : { error, error_description: description });
}

/** Anything thrown on the introspection route, as an OAuth error rather than LoopBack's shape. */
function oauthFailure(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const failure = failureOf(err);
  if (failure.status === 503) {
    if (failure.retryAfterSeconds !== undefined) void reply.header('retry-after', String(failure.retryAfterSeconds));
    return sendOAuthError(request, reply, 503, 'temporarily_unavailable');
  }
  if (failure.status >= 400 && failure.status < 500) return sendOAuthError(request, reply, 400, 'invalid_request', 'the request must be a form with one token');
  return sendOAuthError(request, reply, 500, 'server_error');
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** RFC 7662 §2.2: exactly {"active":false} for any token that is not good, so that nothing about it shows. */
function introspectionView(result: Validation): Record<string, unknown> {
  if (!result.active) return { active: false };
  const view: Record<string, unknown> = { active: true, sub: result.userId, scope: result.scopes.join(' '), iat: seconds(result.created), token_type: 'Bearer' };
  if (result.expiresAt) view.exp = seconds(result.expiresAt);
  if (result.user?.username) view.username = result.user.username;
  if (result.realm) view.realm = result.realm;
  return view;
}

/** The issuer: as configured, else from the request (refused when its Host is not a bare host[:port]). */
function issuerOf(request: FastifyRequest, configured: string | undefined): string {
  if (configured) return configured.replace(/\/$/, '');
  const origin = `${request.protocol}://${request.host}`;
  try {
    if (request.host && new URL(origin).origin === origin.toLowerCase()) return origin;
  } catch {
    // Falls through to the refusal.
  }
  throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'the Host header is not a host name');
}

function singleField(body: unknown, name: string): string | undefined {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * OAuth 2.0 Token Introspection (RFC 7662) for resource servers, over ValidateToken with the user
 * (for `username`), and the RFC 8414 metadata naming it. Callers authenticate with HTTP Basic
 * (INTROSPECTION_CLIENTS_FILE) or, when mTLS is on, their certificate; nobody else gets an answer.
 */
export function introspectionRoutes(deps: IntrospectionDeps): HttpRoutes {
  const authenticated = async (request: FastifyRequest): Promise<boolean> => {
    if (deps.mutualTls && hasVerifiedCertificate(request)) return true;
    const credentials = basicCredentials(request);
    if (!credentials || !deps.authenticateClient) return false;
    return deps.authenticateClient(credentials.id, credentials.secret, callOf(request));
  };

  return (app) => {
    app.post(INTROSPECTION_PATH, { errorHandler: oauthFailure }, async (request, reply) => {
      if (!(await authenticated(request))) return sendOAuthError(request, reply, 401, 'invalid_client');
      if (!request.headers['content-type']?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        return sendOAuthError(request, reply, 400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
      }
      // token_type_hint needs no reading: there is one kind of token (RFC 7662 §2.1 lets a server ignore it).
      const token = singleField(request.body, 'token');
      if (token === undefined) return sendOAuthError(request, reply, 400, 'invalid_request', 'token is required');
      const result = await deps.core.validateToken({ accessToken: token, includeUser: true });
      return reply.header('cache-control', 'no-store').send(introspectionView(result));
    });

    app.get(METADATA_PATH, { errorHandler: oauthFailure }, async (request) => {
      const issuer = issuerOf(request, deps.issuer);
      const methods = [...(deps.authenticateClient ? ['client_secret_basic'] : []), ...(deps.mutualTls ? ['tls_client_auth'] : [])];
      return {
        issuer,
        introspection_endpoint: `${issuer}${INTROSPECTION_PATH}`,
        introspection_endpoint_auth_methods_supported: methods,
        // No authorization or token endpoint: this server issues tokens through its own API only.
        response_types_supported: [],
        grant_types_supported: [],
      };
    });
  };
}
