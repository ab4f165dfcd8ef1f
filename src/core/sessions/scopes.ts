import type { TokenRecord } from '../../storage/tokens/port.js';

/** The scope of a reset token, accepted only by SetPassword. */
export const RESET_PASSWORD_SCOPE = 'reset-password';
/** The scope of an email verification token, accepted only by ConfirmEmail. */
export const VERIFY_EMAIL_SCOPE = 'verify-email';

/** Scopes of single-use tokens that a notifier delivers: a token holding one is no session. */
const SINGLE_USE_SCOPES: ReadonlySet<string> = new Set([RESET_PASSWORD_SCOPE, VERIFY_EMAIL_SCOPE]);

/** Whether a token is a session (an access token of its user), rather than a single-use token. */
export const isSession = (token: TokenRecord): boolean => !token.scopes.some((scope) => SINGLE_USE_SCOPES.has(scope));

/**
 * Whether a token's scopes are exactly what the caller accepts: every required scope held, and no
 * scope held that the caller did not name (so a reset token never passes as an access token).
 */
export function scopesMatch(held: readonly string[], accepted: readonly string[]): boolean {
  const heldSet = new Set(held);
  return accepted.every((scope) => heldSet.has(scope)) && held.every((scope) => accepted.includes(scope));
}
