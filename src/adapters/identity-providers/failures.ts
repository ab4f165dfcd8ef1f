import { ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';
import { errors as joseErrors } from 'jose';
import { AuthError, ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../logger.js';

/** Socket errors that mean the provider could not be reached, wherever they sit in a cause chain. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT']);
/** openid-client's codes for a request that ran out of time or was cut. */
const TIMEOUT_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT', 'ERR_JWKS_TIMEOUT']);

const codeOf = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;

/** The errors of a cause chain, outermost first (bounded: causes can be cyclic). */
function chain(err: unknown): unknown[] {
  const errors: unknown[] = [];
  for (let current = err; current !== undefined && current !== null && errors.length < 8; current = (current as { cause?: unknown }).cause) {
    errors.push(current);
    if (typeof current !== 'object') break;
  }
  return errors;
}

/** Whether the provider was down, slow, or failing on its side (5xx), rather than refusing what it was sent. */
export function isProviderUnavailable(err: unknown): boolean {
  return chain(err).some((e) => {
    const code = codeOf(e);
    if (code !== undefined && (NETWORK_CODES.has(code) || TIMEOUT_CODES.has(code))) return true;
    if (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError')) return true;
    if (e instanceof TypeError && e.message === 'fetch failed') return true;
    if (e instanceof Response) return e.status >= 500;
    if (e instanceof ResponseBodyError || e instanceof WWWAuthenticateChallengeError) return e.status >= 500;
    return false;
  });
}

/** An OAuth error code from the provider, only when it looks like one (it comes from outside). */
function oauthErrorOf(err: unknown): string | undefined {
  const value = typeof err === 'object' && err !== null && 'error' in err ? err.error : undefined;
  return typeof value === 'string' && /^[a-z_]{1,64}$/.test(value) ? value : undefined;
}

/**
 * What a log line may say of a failure: error names and codes, the provider's HTTP status and OAuth
 * error, the JWT claim that failed; never a message (it may quote a token or a URL with a code),
 * and nothing from a cause that is not an error (jose hangs the token's claims there).
 */
function describe(err: unknown): Record<string, string | number | undefined> {
  const errors = chain(err).filter((e): e is Error => e instanceof Error);
  const status = chain(err).find((e): e is { status: number } => (e instanceof Error || e instanceof Response) && typeof (e as { status?: unknown }).status === 'number')?.status;
  const claim = errors.find((e): e is joseErrors.JWTClaimValidationFailed => e instanceof joseErrors.JWTClaimValidationFailed)?.claim;
  return { error: errors.map((e) => e.name).join(' < '), code: errors.map(codeOf).find(Boolean), oauthError: oauthErrorOf(err), status, claim };
}

export type Stage = 'discovery' | 'authorization' | 'code-exchange' | 'userinfo' | 'id-token';

/**
 * Any failure of a provider call as the AuthError the core expects: PROVIDER_UNAVAILABLE when it
 * could not answer in time, else `refused` (EXTERNAL_LOGIN_FAILED or INVALID_ID_TOKEN) with a fixed
 * message. Logged once, at warn, without a message, code or token.
 */
export function providerFailure(err: unknown, provider: string, stage: Stage, logger: Logger, refused: () => AuthError): AuthError {
  if (err instanceof AuthError) return err;
  const unavailable = isProviderUnavailable(err);
  logger.warn({ provider, stage, ...describe(err) }, unavailable ? 'identity provider unavailable' : 'identity provider answer refused');
  return unavailable ? providerUnavailable() : refused();
}

export const providerUnavailable = (): AuthError => new AuthError(ErrorCode.PROVIDER_UNAVAILABLE, 'the identity provider cannot be reached or did not answer in time');
export const externalLoginFailed = (): AuthError => new AuthError(ErrorCode.EXTERNAL_LOGIN_FAILED, 'the identity provider did not confirm this login');
export const invalidIdToken = (): AuthError => new AuthError(ErrorCode.INVALID_ID_TOKEN, 'the ID token did not pass its checks');
