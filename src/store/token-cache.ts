import { performance } from 'node:perf_hooks';
import type { Counter, Store, TokenRecord, UserRecord } from './store.js';

export interface TokenCacheOptions {
  /** How long a loaded token is served without asking the inner store; > 0. */
  ttlMs: number;
  /** At most this many tokens are kept; the least recently used goes first. */
  maxEntries: number;
  /** Milliseconds on a monotonic clock, so that a wall-clock step back cannot stretch the staleness bound. */
  now?: () => number;
  onLookup?: (result: 'hit' | 'miss') => void;
}

interface Entry {
  record: TokenRecord;
  /** When the load that read it began: the record is at most this old. */
  loadedAt: number;
}

/**
 * A Store that remembers found tokens for `ttlMs`, so that ValidateToken on every request need not
 * reach the database each time. The bound on staleness: a token revoked on another replica (or
 * deleted in the database by hand) stays valid here for at most `ttlMs`. Revocations through this
 * process (takeToken, deleteUserTokens) take effect at once. "Not found" is never cached, so a token
 * issued by another replica is seen at once. Expiry is still checked by the caller on every use.
 * Records are shared between callers, as MemoryStore shares them: nobody mutates them.
 */
export class CachingStore implements Store {
  private readonly entries = new Map<string, Entry>();
  /** userId → hashes cached for it, so that revoking a user's tokens costs their number, not the cache's size. */
  private readonly hashesByUser = new Map<string, Set<string>>();
  /**
   * Bumped by every revocation. A lookup caches what it read only when no revocation began or
   * ended while it was in flight: its read may have come before the delete.
   */
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly onLookup: (result: 'hit' | 'miss') => void;

  constructor(
    private readonly inner: Store,
    options: TokenCacheOptions,
  ) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries;
    this.now = options.now ?? (() => performance.now());
    this.onLookup = options.onLookup ?? (() => {});
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  createUser(user: UserRecord): Promise<void> {
    return this.inner.createUser(user);
  }

  findUserById(id: string): Promise<UserRecord | undefined> {
    return this.inner.findUserById(id);
  }

  findUserByEmail(realm: string, email: string): Promise<UserRecord | undefined> {
    return this.inner.findUserByEmail(realm, email);
  }

  findUserByUsername(realm: string, username: string): Promise<UserRecord | undefined> {
    return this.inner.findUserByUsername(realm, username);
  }

  setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    return this.inner.setPasswordHash(userId, passwordHash);
  }

  insertToken(token: TokenRecord): Promise<void> {
    return this.inner.insertToken(token);
  }

  async findToken(hash: string): Promise<TokenRecord | undefined> {
    const cached = this.entries.get(hash);
    const startedAt = this.now();
    if (cached && startedAt - cached.loadedAt < this.ttlMs) {
      // Re-inserted so that Map order is least recently used first.
      this.entries.delete(hash);
      this.entries.set(hash, cached);
      this.onLookup('hit');
      return cached.record;
    }
    this.onLookup('miss');
    const generation = this.generation;
    const record = await this.inner.findToken(hash);
    if (record === undefined) this.drop(hash);
    else if (generation === this.generation) this.put(hash, { record, loadedAt: startedAt });
    return record;
  }

  async takeToken(hash: string): Promise<TokenRecord | undefined> {
    // Dropped before, so that no hit serves it meanwhile, and after, in case a lookup read it
    // before the delete and stored it while the delete ran.
    this.revoke([hash]);
    try {
      return await this.inner.takeToken(hash);
    } finally {
      this.revoke([hash]);
    }
  }

  async deleteUserTokens(userId: string, keepHash?: string): Promise<number> {
    const cachedOfUser = () => [...(this.hashesByUser.get(userId) ?? [])].filter((hash) => hash !== keepHash);
    this.revoke(cachedOfUser());
    try {
      return await this.inner.deleteUserTokens(userId, keepHash);
    } finally {
      this.revoke(cachedOfUser());
    }
  }

  hitCounter(key: string, now: Date, windowStart: Date): Promise<Counter> {
    return this.inner.hitCounter(key, now, windowStart);
  }

  getCounter(key: string): Promise<Counter | undefined> {
    return this.inner.getCounter(key);
  }

  deleteCounter(key: string): Promise<void> {
    return this.inner.deleteCounter(key);
  }

  private revoke(hashes: string[]): void {
    this.generation++;
    for (const hash of hashes) this.drop(hash);
  }

  private put(hash: string, entry: Entry): void {
    this.drop(hash);
    this.entries.set(hash, entry);
    const userId = entry.record.userId;
    const hashes = this.hashesByUser.get(userId);
    if (hashes) hashes.add(hash);
    else this.hashesByUser.set(userId, new Set([hash]));
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.drop(oldest.value);
    }
  }

  private drop(hash: string): void {
    const entry = this.entries.get(hash);
    if (!entry) return;
    this.entries.delete(hash);
    const hashes = this.hashesByUser.get(entry.record.userId);
    hashes?.delete(hash);
    if (hashes?.size === 0) this.hashesByUser.delete(entry.record.userId);
  }
}
