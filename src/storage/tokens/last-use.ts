import { LRUCache } from 'lru-cache';
import type { TokenRecord, TokenStore } from './port.js';

export interface LastUseOptions {
  /** A token's use is written at most once per this many milliseconds (per process). */
  windowMs: number;
  /** Tokens remembered at most; beyond, the least recently written is forgotten (and may be written again sooner). */
  maxEntries: number;
  /** A write that failed: it is not retried, the next use after the window writes again. */
  onError: (err: unknown) => void;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
}

/**
 * A TokenStore whose `touch` (a token's last use, on every ValidateToken) writes at most once per
 * token per window, and never on the caller's path: the first use in a window starts the write
 * and returns at once, later ones in the window write nothing. So the stored last use lags the
 * real one by less than the window, and validation stays a read in nearly every call. Everything
 * else passes through.
 */
export class CoalescedLastUse implements TokenStore {
  /** Hashes written within the window. */
  private readonly written: LRUCache<string, true>;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly inner: TokenStore,
    options: LastUseOptions,
  ) {
    this.onError = options.onError;
    this.written = new LRUCache({
      max: options.maxEntries,
      ttl: options.windowMs,
      ttlResolution: 0,
      ...(options.now ? { perf: { now: options.now } } : {}),
    });
  }

  touch(hash: string, at: Date): Promise<void> {
    if (!this.written.has(hash)) {
      this.written.set(hash, true);
      this.inner.touch(hash, at).catch(this.onError);
    }
    return Promise.resolve();
  }

  insert(token: TokenRecord): Promise<void> {
    return this.inner.insert(token);
  }

  insertIfAbsent(token: TokenRecord): Promise<boolean> {
    return this.inner.insertIfAbsent(token);
  }

  find(hash: string): Promise<TokenRecord | undefined> {
    return this.inner.find(hash);
  }

  listByUser(userId: string): Promise<TokenRecord[]> {
    return this.inner.listByUser(userId);
  }

  take(hash: string): Promise<TokenRecord | undefined> {
    return this.inner.take(hash);
  }

  takeSession(userId: string, sessionId: string): Promise<TokenRecord | undefined> {
    return this.inner.takeSession(userId, sessionId);
  }

  deleteByUser(userId: string, keepHash?: string): Promise<number> {
    return this.inner.deleteByUser(userId, keepHash);
  }

  trimUser(userId: string, keep: number): Promise<string[]> {
    return this.inner.trimUser(userId, keep);
  }
}
