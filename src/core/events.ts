export type LoginOutcome = 'success' | 'failure' | 'throttled';
/** password: Login; external: the browser flow through a provider; id-token: ExchangeIdToken. */
export type LoginMethod = 'password' | 'external' | 'id-token';
export type TokenKind = 'access' | 'reset';
export type RevokeReason =
  | 'logout'
  | 'logout-all'
  | 'reset-used'
  | 'password-set'
  | 'password-changed'
  | 'session-limit'
  | 'email-changed'
  | 'user-deleted';

/** What the use cases report as it happens; metrics.ts counts it. */
export interface AuthEvents {
  /** `provider` is a configured provider's name (never a caller's value); absent for password logins. */
  loginAttempted(outcome: LoginOutcome, method: LoginMethod, provider?: string): void;
  tokenIssued(kind: TokenKind): void;
  /** Called only for count > 0. */
  tokensRevoked(reason: RevokeReason, count: number): void;
}

export const ignoreEvents: AuthEvents = {
  loginAttempted: () => {},
  tokenIssued: () => {},
  tokensRevoked: () => {},
};
