import { LRUCache } from 'lru-cache';
import type { TokenRecord, TokenStore } from './port.js';

export interface TokenCacheOptions {
  /** How long a loaded token is served without asking the inner store; > 0. */
  ttlMs: number;
  /** At most this many tokens are kept; the least recently used goes first. */
  maxEntries: number;
  /** Milliseconds on a monotonic clock, so that a wall-clock step back cannot stretch the staleness bound. */
  now?: () => number;
  onLookup?: (result: 'hit' | 'miss') => void;
}

/**
 * A TokenStore that remembers found tokens for `ttlMs`, so that ValidateToken on every request need
 * not reach the database each time. The bound on staleness: a token revoked on another replica (or
 * deleted in the database by hand) stays valid here for at most `ttlMs`, counted from when the read
 * that loaded it began. Revocations through this process (take, deleteByUser) take effect at once.
 * "Not found" is never cached, so a token issued by another replica is seen at once. Expiry is still
 * checked by the core on every use. Records are shared between callers: nobody mutates them.
 */
export class CachingTokenStore implements TokenStore {
  private readonly cache: LRUCache<string, TokenRecord>;
  /** userId → hashes cached for it, so that revoking a user's tokens costs their number, not the cache's size. */
  private readonly hashesByUser = new Map<string, Set<string>>();
  /**
   * Bumped by every revocation. A lookup caches what it read only when no revocation began or
   * ended while it was in flight: its read may have come before the delete.
   */
  private generation = 0;
  private readonly now: () => number;
  private readonly onLookup: (result: 'hit' | 'miss') => void;

  constructor(
    private readonly inner: TokenStore,
    options: TokenCacheOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.onLookup = options.onLookup ?? (() => {});
    this.cache = new LRUCache({
      max: options.maxEntries,
      ttl: options.ttlMs,
      // Read the clock on every check rather than lru-cache's coarse timer-driven one.
      ttlResolution: 0,
      perf: { now: this.now },
      dispose: (record, hash) => this.unindex(record.userId, hash),
    });
  }

  insert(token: TokenRecord): Promise<void> {
    return this.inner.insert(token);
  }

  insertIfAbsent(token: TokenRecord): Promise<boolean> {
    return this.inner.insertIfAbsent(token);
  }

  async find(hash: string): Promise<TokenRecord | undefined> {
    const cached = this.cache.get(hash);
    if (cached) {
      this.onLookup('hit');
      return cached;
    }
    this.onLookup('miss');
    const startedAt = this.now();
    const generation = this.generation;
    const record = await this.inner.find(hash);
    if (record === undefined) this.cache.delete(hash);
    else if (generation === this.generation) this.put(hash, record, startedAt);
    return record;
  }

  async take(hash: string): Promise<TokenRecord | undefined> {
    // Dropped before, so that no hit serves it meanwhile, and after, in case a lookup read it
    // before the delete and stored it while the delete ran.
    this.revoke([hash]);
    try {
      return await this.inner.take(hash);
    } finally {
      this.revoke([hash]);
    }
  }

  async takeSession(userId: string, sessionId: string): Promise<TokenRecord | undefined> {
    // Its hash is known only once taken: lookups in flight meanwhile do not cache what they read.
    this.revoke([]);
    const taken = await this.inner.takeSession(userId, sessionId);
    this.revoke(taken ? [taken.hash] : []);
    return taken;
  }

  listByUser(userId: string): Promise<TokenRecord[]> {
    return this.inner.listByUser(userId);
  }

  async touch(hash: string, at: Date): Promise<void> {
    await this.inner.touch(hash, at);
    // The cached record is replaced, never mutated: callers may hold it.
    const cached = this.cache.peek(hash);
    if (cached && cached.lastUsed < at) this.cache.set(hash, { ...cached, lastUsed: at }, { noUpdateTTL: true, noDisposeOnSet: true });
  }

  async deleteByUser(userId: string, keepHash?: string): Promise<number> {
    const cachedOfUser = () => [...(this.hashesByUser.get(userId) ?? [])].filter((hash) => hash !== keepHash);
    this.revoke(cachedOfUser());
    try {
      return await this.inner.deleteByUser(userId, keepHash);
    } finally {
      this.revoke(cachedOfUser());
    }
  }

  async trimUser(userId: string, keep: number): Promise<string[]> {
    this.generation++;
    const trimmed = await this.inner.trimUser(userId, keep);
    this.revoke(trimmed);
    return trimmed;
  }

  private revoke(hashes: string[]): void {
    this.generation++;
    for (const hash of hashes) this.cache.delete(hash);
  }

  private put(hash: string, record: TokenRecord, loadedAt: number): void {
    this.cache.set(hash, record, { start: loadedAt });
    const hashes = this.hashesByUser.get(record.userId);
    if (hashes) hashes.add(hash);
    else this.hashesByUser.set(record.userId, new Set([hash]));
  }

  private unindex(userId: string, hash: string): void {
    const hashes = this.hashesByUser.get(userId);
    hashes?.delete(hash);
    if (hashes?.size === 0) this.hashesByUser.delete(userId);
  }
}
