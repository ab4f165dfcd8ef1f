/** One numbered attempt of a key: a login or a reset request. */
export interface Attempt {
  n: number;
  at: Date;
}

/** Attempts still counted: neither forgotten nor given back. */
export interface Tally {
  count: number;
  latest: Attempt | undefined;
}

/**
 * The attempts aggregate: numbered attempts per key (an account's logins, an email's reset requests),
 * shared by every replica. Each number goes to exactly one caller, however many processes ask at
 * once, because recording one is a unique insert, the one write every supported database makes atomic.
 */
export interface AttemptStore {
  /** How many attempts of the key are stored, apart from attempt `except` when given, and the highest of those. */
  tally(key: string, except?: number): Promise<Tally>;
  /** Records attempt `attempt.n` of the key, kept until `expiresAt`; false when that number was taken first. */
  record(key: string, attempt: Attempt, expiresAt: Date): Promise<boolean>;
  /** Forgets the key's attempts numbered up to `upTo`, or all of them. */
  forget(key: string, upTo?: number): Promise<void>;
  /** Forgets attempt `n` of the key alone (one that never ran). */
  release(key: string, n: number): Promise<void>;
  /** Marks attempt `n` of the key finished: it stays counted, but no longer runs. */
  settle(key: string, n: number): Promise<void>;
  /** Whether another attempt of the key overlapped attempt `n`: one numbered after it, or one before it still running. */
  overlapped(key: string, n: number): Promise<boolean>;
}
