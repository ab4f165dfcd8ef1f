import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { counterKey } from './counter-key.js';

/** Failed password checks older than this (counted from the first) are forgotten. */
const FAILURES_REMEMBERED_MS = 24 * 3600_000;

/** The lock key of an account reached by one of its identifiers. */
export const loginLockKey = (realm: string, field: 'email' | 'username', value: string): string =>
  counterKey('login', realm, `${field}:${value}`);

/**
 * Runs a password check under the account's lock: refused while the account is locked, a failure
 * counted (in the store, so every replica sees it), a success clearing the count. After
 * loginMaxFailures consecutive failures the account is locked for a delay that doubles per further
 * failure, up to loginLockMaxMs.
 */
export async function checkUnderLock(ctx: CoreContext, lockKey: string, check: () => Promise<boolean>): Promise<boolean> {
  const failures = await ctx.counters.get(lockKey);
  refuseWhileLocked(ctx, failures?.count ?? 0, failures?.last);
  const ok = await check();
  if (!ok) {
    const now = ctx.now();
    await ctx.counters.hit(lockKey, now, new Date(now.getTime() - FAILURES_REMEMBERED_MS));
  } else if (failures) {
    await ctx.counters.delete(lockKey);
  }
  return ok;
}

function refuseWhileLocked(ctx: CoreContext, failures: number, lastFailure: Date | undefined): void {
  const { loginMaxFailures, loginLockBaseMs, loginLockMaxMs } = ctx.policy;
  if (lastFailure === undefined || failures < loginMaxFailures) return;
  const doublings = failures - loginMaxFailures;
  const lockMs = Math.min(loginLockMaxMs, loginLockBaseMs * 2 ** Math.min(doublings, 40));
  const retryAfterMs = lastFailure.getTime() + lockMs - ctx.now().getTime();
  if (retryAfterMs > 0) {
    ctx.events.loginAttempted('throttled');
    throw new AuthError(ErrorCode.TOO_MANY_ATTEMPTS, 'too many failed login attempts, try again later', { retryAfterMs });
  }
}
