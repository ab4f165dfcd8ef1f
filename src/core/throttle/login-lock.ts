import type { UserRecord } from '../../storage/users/port.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { attemptKey } from './attempt-key.js';
import { admitAttempt } from './attempts.js';

/** Failed password checks are forgotten this long after the latest one. */
const FAILURES_REMEMBERED_MS = 24 * 3600_000;

/** The one lock of an account, whichever identifier (email or username) reached it. */
export const accountLockKey = (user: UserRecord): string => attemptKey('login', 'user', user.id);

/** An identifier that names no account has a lock of its own, so that guessing at it costs the same. */
export const unknownIdentifierLockKey = (realm: string, identifier: string): string => attemptKey('login', 'unknown', realm, identifier);

/**
 * Runs a password check under the account's lock. Each check is counted before it runs (a
 * numbered attempt in the store, shared by replicas), so however many arrive at once, at most
 * loginMaxFailures run before the lock; then it lasts loginLockBaseMs, doubling with each further
 * failure up to loginLockMaxMs. A success clears the count when no other attempt overlapped it
 * (none came after it, none before it was still running); otherwise it gives back its own number
 * only, so that concurrent logins with the right password never lock an account, while a storm of
 * guesses that a right password joins stays counted and the lock holds. A check that never ran
 * (the caller left, the server shed it) is given back too.
 */
export async function checkUnderLock(ctx: CoreContext, lockKey: string, check: () => Promise<boolean>): Promise<boolean> {
  const { loginMaxFailures, loginLockBaseMs, loginLockMaxMs } = ctx.policy;
  const admission = await admitAttempt(ctx, lockKey, FAILURES_REMEMBERED_MS, ({ count, latest }, now) => {
    if (count < loginMaxFailures || !latest) return 0;
    const lockMs = Math.min(loginLockMaxMs, loginLockBaseMs * 2 ** Math.min(count - loginMaxFailures, 40));
    return latest.at.getTime() + lockMs - now.getTime();
  });
  if (!admission.admitted) {
    ctx.events.loginAttempted('throttled', 'password');
    throw new AuthError(ErrorCode.TOO_MANY_ATTEMPTS, 'too many failed login attempts, try again later', {
      retryAfterMs: admission.retryAfterMs,
    });
  }
  let ok: boolean;
  try {
    ok = await check();
  } catch (err) {
    await ctx.attempts.release(lockKey, admission.n);
    throw err;
  }
  if (!ok) await ctx.attempts.settle(lockKey, admission.n);
  // Clearing while others overlap would delete numbers that concurrent callers count from, and let
  // their successors be numbered from 1 again.
  else if (await ctx.attempts.overlapped(lockKey, admission.n)) await ctx.attempts.release(lockKey, admission.n);
  else await ctx.attempts.forget(lockKey, admission.n);
  return ok;
}
