import type { AuthPolicy } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';

/** LoopBack's sentinel for a token that never expires. */
export const ETERNAL_TTL = -1;

/** The lifetime a Login gets: 0 is the default, longer than the maximum is capped, -1 only where allowed. */
export function resolveTtl(policy: AuthPolicy, ttl: number): number {
  if (!Number.isSafeInteger(ttl)) throw new AuthError(ErrorCode.INVALID_TTL, 'ttl must be an integer');
  if (ttl === 0) return policy.defaultTtlSeconds;
  if (ttl === ETERNAL_TTL) {
    if (policy.allowEternalTokens) return ETERNAL_TTL;
    throw new AuthError(ErrorCode.INVALID_TTL, 'tokens that never expire are not allowed');
  }
  if (ttl < 0) throw new AuthError(ErrorCode.INVALID_TTL, 'ttl must be positive, 0 for the default, or -1');
  return Math.min(ttl, policy.maxTtlSeconds);
}
