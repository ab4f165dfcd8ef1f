export type LoginOutcome = 'success' | 'failure' | 'throttled';
export type TokenKind = 'access' | 'reset';
export type RevokeReason = 'logout' | 'logout-all' | 'reset-used' | 'password-set' | 'password-changed' | 'session-limit';
/**
 * Why sessions ended through session management rather than a logout or a password change:
 * `revoked` by their owner (RevokeSession), `idle` (unused for longer than the idle timeout).
 */
export type SessionRevokeReason = 'revoked' | 'idle';
/** A rehash on login: `stored`, or `superseded` when the hash had changed since it was checked. */
export type RehashOutcome = 'stored' | 'superseded';

/** What the use cases report as it happens; metrics.ts counts it. */
export interface AuthEvents {
  loginAttempted(outcome: LoginOutcome): void;
  tokenIssued(kind: TokenKind): void;
  /** Called only for count > 0. */
  tokensRevoked(reason: RevokeReason, count: number): void;
  /** Called only for count > 0. */
  sessionsRevoked(reason: SessionRevokeReason, count: number): void;
  passwordRehashed(outcome: RehashOutcome): void;
}

export const ignoreEvents: AuthEvents = {
  loginAttempted: () => {},
  tokenIssued: () => {},
  tokensRevoked: () => {},
  sessionsRevoked: () => {},
  passwordRehashed: () => {},
};
