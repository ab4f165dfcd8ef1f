import type { AuthCore } from '../../core/auth-core.js';
import { ErrorCode } from '../../core/errors.js';
import type { Credential } from './credentials.js';

/** Who a request acts for, as the upstream is told. */
export interface Identity {
  userId: string;
  realm: string;
  scopes: string[];
}

/** Why a request is refused, as RFC 6750 §3 puts it: an HTTP status, a challenge, and LoopBack's error body. */
export interface Denial {
  status: 401 | 403;
  /** The `WWW-Authenticate` value. */
  challenge: string;
  code: ErrorCode;
  message: string;
}

export type Access = { allowed: true; identity: Identity } | { allowed: false; denial: Denial };

/** RFC 6749 §3.3's scope-token: what may appear in a challenge's quoted `scope` unescaped. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

const deny = (status: Denial['status'], challenge: string, code: ErrorCode, message: string): Access => ({
  allowed: false,
  denial: { status, challenge, code, message },
});

/** RFC 6750 §3: a request without bearer credentials gets the bare challenge, with no error code. */
const noToken = (): Access => deny(401, 'Bearer', ErrorCode.INVALID_TOKEN, 'access token is required');
const invalidRequest = (reason: string): Access =>
  deny(401, `Bearer error="invalid_request", error_description="${reason}"`, ErrorCode.INVALID_TOKEN, reason);
const invalidToken = (): Access => deny(401, 'Bearer error="invalid_token"', ErrorCode.INVALID_TOKEN, 'invalid or expired access token');

function insufficientScope(required: readonly string[]): Access {
  const scope = required.every((name) => SCOPE_TOKEN.test(name)) ? `, scope="${required.join(' ')}"` : '';
  return deny(403, `Bearer error="insufficient_scope"${scope}`, ErrorCode.INSUFFICIENT_SCOPE, 'the access token does not carry the required scopes');
}

/** Scopes as routes name them: space-separated (Envoy's context_extensions, forward auth's `?scopes=`). */
export const scopesOf = (value: string | undefined): string[] => value?.split(' ').filter((scope) => scope !== '') ?? [];

/**
 * Whether a request may pass, by ValidateToken itself: the same use case, store, cache and scope rule
 * (the token's scopes must be exactly those required). A token refused for its scopes is looked up
 * once more without them, to tell a good token lacking the scopes (403) from a bad one (401).
 * Bad credentials are denials; only a failure of the service itself (the database down) throws.
 */
export async function checkAccess(core: AuthCore, credential: Credential, requiredScopes: readonly string[]): Promise<Access> {
  if (credential.kind === 'none') return noToken();
  if (credential.kind === 'malformed') return invalidRequest(credential.reason);
  const validation = await core.validateToken({ accessToken: credential.token, requiredScopes: [...requiredScopes] });
  if (validation.active) return { allowed: true, identity: { userId: validation.userId, realm: validation.realm, scopes: validation.scopes } };
  if (requiredScopes.length === 0) return invalidToken();
  const unscoped = await core.validateToken({ accessToken: credential.token });
  return unscoped.active ? insufficientScope(requiredScopes) : invalidToken();
}

/** The names of the headers that tell the upstream who called. */
export interface IdentityHeaderNames {
  userId: string;
  realm: string;
  scopes: string;
}

/**
 * The identity as headers: [name, value] for each, the value undefined where there is none to give
 * (the default realm, no scopes), so that the gateway removes the client's copy instead of passing it.
 */
export function identityHeaders(names: IdentityHeaderNames, identity: Identity): Array<[string, string | undefined]> {
  const given = (value: string): string | undefined => (value === '' ? undefined : value);
  return [
    [names.userId, given(identity.userId)],
    [names.realm, given(identity.realm)],
    [names.scopes, given(identity.scopes.join(' '))],
  ];
}
