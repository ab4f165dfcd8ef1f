/**
 * The storage port: the few operations the use cases need, each one atomic on its
 * own. Expiry is checked by the service in code, so a store may keep expired rows
 * around until its cleanup (TTL index or sweep) removes them.
 */
export interface UserRecord {
  id: string;
  realm: string;
  /** Trimmed and lower-cased. */
  email: string;
  username: string | undefined;
  passwordHash: string;
  emailVerified: boolean;
  created: Date;
}

export interface TokenRecord {
  /** SHA-256 of the token, hex. The token itself is never stored. */
  hash: string;
  userId: string;
  realm: string;
  scopes: string[];
  created: Date;
  /** Lifetime asked for at issue, in seconds; -1 for never. */
  ttlSeconds: number;
  /** undefined for a token that never expires. */
  expiresAt: Date | undefined;
}

/** A counter of events per key inside a window that starts at its first event. */
export interface Counter {
  count: number;
  first: Date;
  last: Date;
}

export type UniqueField = 'email' | 'username';

/** Thrown by createUser when a unique field is taken. */
export class DuplicateKeyError extends Error {
  constructor(readonly field: UniqueField) {
    super(`duplicate ${field}`);
    this.name = 'DuplicateKeyError';
  }
}

export interface Store {
  /** Connects and creates indexes; idempotent. */
  init(): Promise<void>;
  /** Throws StoreUnavailableError when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;

  createUser(user: UserRecord): Promise<void>;
  findUserById(id: string): Promise<UserRecord | undefined>;
  findUserByEmail(realm: string, email: string): Promise<UserRecord | undefined>;
  findUserByUsername(realm: string, username: string): Promise<UserRecord | undefined>;
  setPasswordHash(userId: string, passwordHash: string): Promise<void>;

  insertToken(token: TokenRecord): Promise<void>;
  findToken(hash: string): Promise<TokenRecord | undefined>;
  /** Deletes and returns the token: of concurrent calls with one hash, one gets it. */
  takeToken(hash: string): Promise<TokenRecord | undefined>;
  /** Deletes every token of the user except `keepHash`; returns how many. */
  deleteUserTokens(userId: string, keepHash?: string): Promise<number>;

  /**
   * Adds one event to the counter of `key`, first discarding it when its window
   * began before `windowStart`; returns the counter after the event.
   */
  hitCounter(key: string, now: Date, windowStart: Date): Promise<Counter>;
  getCounter(key: string): Promise<Counter | undefined>;
  deleteCounter(key: string): Promise<void>;
}
