/**
 * The tokens aggregate: access and reset tokens, stored by hash. Expiry is checked by the core in
 * code, so a store may keep expired tokens until its cleanup (TTL index or sweep) removes them.
 */
export interface TokenRecord {
  /** SHA-256 of the token, hex. The token itself is never stored. */
  hash: string;
  /** The token's public name (a session id): random, unrelated to the token and its hash. */
  sessionId: string;
  userId: string;
  realm: string;
  scopes: string[];
  created: Date;
  /** Lifetime asked for at issue, in seconds; -1 for never. */
  ttlSeconds: number;
  /** undefined for a token that never expires. */
  expiresAt: Date | undefined;
  /** When the token was last used, as recorded (see touch); `created` until then. */
  lastUsed: Date;
  /** The user agent and network address of the call that got the token, if known (bounded by the core). */
  userAgent: string | undefined;
  address: string | undefined;
}

export interface TokenStore {
  insert(token: TokenRecord): Promise<void>;
  /** Inserts the token unless its hash is stored already (that one is left as it is); true when inserted. */
  insertIfAbsent(token: TokenRecord): Promise<boolean>;
  find(hash: string): Promise<TokenRecord | undefined>;
  /** Every token of the user, expired ones not yet removed included, in no particular order. */
  listByUser(userId: string): Promise<TokenRecord[]>;
  /** Deletes and returns the token: of concurrent calls with one hash, one gets it. */
  take(hash: string): Promise<TokenRecord | undefined>;
  /** As take, for the user's token with that session id; undefined when the user has none such. */
  takeSession(userId: string, sessionId: string): Promise<TokenRecord | undefined>;
  /** Deletes every token of the user except `keepHash`; returns how many. */
  deleteByUser(userId: string, keepHash?: string): Promise<number>;
  /** Deletes the user's oldest tokens beyond the newest `keep`; returns the hashes deleted. */
  trimUser(userId: string, keep: number): Promise<string[]>;
  /** Records a use of the token at `at`; never moves lastUsed back; no effect for an unknown token. */
  touch(hash: string, at: Date): Promise<void>;
}
