import type { CallOptions } from './call.js';

/** The core's ports to the outside world other than storage (storage ports live in src/storage/). */

/**
 * Hashes and checks passwords; implemented by adapters/bcrypt-hasher.ts. A job whose caller is gone
 * before it starts is dropped (CANCELLED); one that cannot start in time is refused (SERVICE_OVERLOADED).
 */
export interface PasswordHasher {
  hash(password: string, call?: CallOptions): Promise<string>;
  verify(password: string, hash: string, call?: CallOptions): Promise<boolean>;
  /** Spends the time of a verify against a hash no password matches, for unknown users. */
  verifyNothing(password: string, call?: CallOptions): Promise<false>;
  /** Whether a stored hash is weaker than what hash() makes now (a lower cost, an older format). */
  needsRehash(hash: string): boolean;
}

/** What a user needs to finish a password reset; the token is a secret and is never logged in production. */
export interface PasswordReset {
  email: string;
  userId: string;
  realm: string;
  token: string;
  expiresAt: Date;
}

/** The one way a reset token leaves the service. */
export interface ResetNotifier {
  /** Never throws: failures are logged (without the token). */
  notify(reset: PasswordReset): Promise<void>;
}
