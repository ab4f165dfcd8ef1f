/** `unverified`: the right password, refused because the email is not verified (EMAIL_VERIFICATION_REQUIRED). */
export type LoginOutcome = 'success' | 'failure' | 'throttled' | 'unverified';
/** password: Login; external: the browser flow through a provider; id-token: ExchangeIdToken. */
export type LoginMethod = 'password' | 'external' | 'id-token';
export type TokenKind = 'access' | 'reset' | 'verification';
/** Why tokens ended through a logout, a password change or the account's own changes. */
export type RevokeReason = 'logout' | 'logout-all' | 'reset-used' | 'password-set' | 'password-changed' | 'session-limit' | 'email-changed';
/**
 * Why sessions ended through session management rather than a logout or a password change:
 * `revoked` by their owner (RevokeSession), `idle` (unused for longer than the idle timeout), by an
 * operator: `admin` (RevokeUserSessions), `user-disabled`; `user-deleted` by its owner or an operator.
 */
export type SessionRevokeReason = 'revoked' | 'idle' | 'admin' | 'user-disabled' | 'user-deleted';
/** A rehash on login: `stored`, or `superseded` when the hash had changed since it was checked. */
export type RehashOutcome = 'stored' | 'superseded';
/**
 * Email verification: a token `sent`, a request `limited` (over the limit, nothing sent), an email
 * `confirmed`, a confirmation `refused` (a wrong, used, expired or another user's token).
 */
export type VerificationEvent = 'sent' | 'limited' | 'confirmed' | 'refused';

/** What the use cases report as it happens; metrics.ts counts it. */
export interface AuthEvents {
  /** `provider` is a configured provider's name (never a caller's value); absent for password logins. */
  loginAttempted(outcome: LoginOutcome, method: LoginMethod, provider?: string): void;
  tokenIssued(kind: TokenKind): void;
  /** Called only for count > 0. */
  tokensRevoked(reason: RevokeReason, count: number): void;
  /** Called only for count > 0. */
  sessionsRevoked(reason: SessionRevokeReason, count: number): void;
  passwordRehashed(outcome: RehashOutcome): void;
  emailVerification(event: VerificationEvent): void;
}

export const ignoreEvents: AuthEvents = {
  loginAttempted: () => {},
  tokenIssued: () => {},
  tokensRevoked: () => {},
  sessionsRevoked: () => {},
  passwordRehashed: () => {},
  emailVerification: () => {},
};
