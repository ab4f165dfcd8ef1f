/**
 * The tokens aggregate: access and reset tokens, stored by hash. Expiry is checked by the core in
 * code, so a store may keep expired tokens until its cleanup (TTL index or sweep) removes them.
 */
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

export interface TokenStore {
  insert(token: TokenRecord): Promise<void>;
  /** Inserts the token unless its hash is stored already (that one is left as it is); true when inserted. */
  insertIfAbsent(token: TokenRecord): Promise<boolean>;
  find(hash: string): Promise<TokenRecord | undefined>;
  /** Deletes and returns the token: of concurrent calls with one hash, one gets it. */
  take(hash: string): Promise<TokenRecord | undefined>;
  /** Deletes every token of the user except `keepHash`; returns how many. */
  deleteByUser(userId: string, keepHash?: string): Promise<number>;
  /** Deletes the user's oldest tokens beyond the newest `keep`; returns the hashes deleted. */
  trimUser(userId: string, keep: number): Promise<string[]>;
}
