import type { Logger } from '../logger.js';
import type { AttemptStore } from '../storage/attempts/port.js';
import type { IdentityStore } from '../storage/identities/port.js';
import type { LoginStateStore } from '../storage/login-states/port.js';
import type { TokenStore } from '../storage/tokens/port.js';
import type { UserStore } from '../storage/users/port.js';
import type { AuthEvents } from './events.js';
import type { IdentityProviders, Notifier, PasswordHasher } from './ports.js';

/** The rules a deployment chooses; config.ts fills them from the environment. */
export interface AuthPolicy {
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  allowEternalTokens: boolean;
  resetTokenTtlSeconds: number;
  /** Login refuses users whose email is not verified (LOGIN_FAILED_EMAIL_NOT_VERIFIED), and CreateUser sends a verification. */
  emailVerificationRequired: boolean;
  verificationTokenTtlSeconds: number;
  loginMaxFailures: number;
  loginLockBaseMs: number;
  loginLockMaxMs: number;
  resetMaxPerWindow: number;
  resetWindowMs: number;
  /** A session unused for longer than this many seconds is inactive (and deleted when next seen); 0: never. */
  idleTimeoutSeconds: number;
  /** Tokens a user may hold at once; the oldest are revoked beyond it. */
  maxSessionsPerUser: number;
  /** false: CreateUser is refused (SIGNUP_CLOSED); accounts come some other way. */
  signupOpen: boolean;
  signupMaxPerWindow: number;
  signupWindowMs: number;
}

/** Everything a use case may use: ports, policy and clock. Built once, in the composition root. */
export interface CoreContext {
  users: UserStore;
  tokens: TokenStore;
  attempts: AttemptStore;
  identities: IdentityStore;
  loginStates: LoginStateStore;
  hasher: PasswordHasher;
  /** The external providers users may log in through; none unless configured. */
  providers: IdentityProviders;
  notifier: Notifier;
  policy: AuthPolicy;
  logger: Logger;
  events: AuthEvents;
  now: () => Date;
}
