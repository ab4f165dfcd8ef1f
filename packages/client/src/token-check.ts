import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ValidateTokenResponse } from './gen/auth/v1/auth.js';

/** Who a good token belongs to: what a protected handler gets (frozen: one cached answer serves many requests). */
export interface AuthContext {
  userId: string;
  realm: string;
  /** Empty for a normal access token. */
  scopes: string[];
}

export interface CacheOptions {
  /**
   * Longest time a positive answer is reused: a token revoked meanwhile is still accepted by
   * this process for up to this long. An entry never outlives the token's own expiry either.
   */
  ttlMs: number;
  /** Most answers kept; the least recently used go first. Default 10000. */
  maxEntries?: number;
}

type Validate = (token: string, requiredScopes: readonly string[]) => Promise<ValidateTokenResponse>;

/**
 * Whether a token is active: its owner, or undefined when it is not. A cached answer comes at
 * once, not as a promise: the hot path of a protected service allocates no promise for it.
 */
export type CheckToken = (token: string, requiredScopes: readonly string[]) => AuthContext | Promise<AuthContext | undefined>;

// Frozen: one cached answer is handed to many requests, none of which may change it for the others.
const contextOf = (answer: ValidateTokenResponse): AuthContext | undefined =>
  answer.active ? Object.freeze({ userId: answer.userId, realm: answer.realm, scopes: Object.freeze([...answer.scopes]) as string[] }) : undefined;

/**
 * Without a cache every check is a call. With one, positive answers are kept (never negative
 * ones: a new token works at once), each for at most ttlMs and never past the token's expiry,
 * and concurrent checks of one token share one call. Failures are never kept.
 */
export function tokenChecker(validate: Validate, cache: CacheOptions | undefined): CheckToken {
  if (!cache) return async (token, requiredScopes) => contextOf(await validate(token, requiredScopes));

  const answers = new LRUCache<string, AuthContext>({ max: cache.maxEntries ?? 10_000, ttl: cache.ttlMs });
  const inFlight = new Map<string, Promise<AuthContext | undefined>>();
  const ask = async (key: string, token: string, requiredScopes: readonly string[]): Promise<AuthContext | undefined> => {
    try {
      const answer = await validate(token, requiredScopes);
      const context = contextOf(answer);
      const untilExpiry = answer.expiresAt ? answer.expiresAt.getTime() - Date.now() : Infinity;
      // lru-cache reads a ttl of 0 as "forever": an answer about to expire is not kept at all.
      const ttl = Math.min(cache.ttlMs, untilExpiry);
      if (context && ttl >= 1) answers.set(key, context, { ttl });
      return context;
    } finally {
      inFlight.delete(key);
    }
  };
  return (token, requiredScopes) => {
    // The key holds a hash, not the token: a heap dump of the cache yields no usable token.
    const key = `${hash('sha256', token, 'base64')} ${requiredScopes.join(' ')}`;
    const cached = answers.get(key);
    if (cached) return cached;
    let pending = inFlight.get(key);
    if (!pending) {
      pending = ask(key, token, requiredScopes);
      inFlight.set(key, pending);
    }
    return pending;
  };
}
