import type { UserRecord } from '../../storage/users/port.js';
import type { CallOptions } from '../call.js';
import type { CoreContext } from '../context.js';
import { ErrorCode, toAuthError } from '../errors.js';
import { attemptKey } from '../throttle/attempt-key.js';

/** A claim on rehashing one stored hash lasts this long: a claimant that vanished frees it then. */
const CLAIM_MS = 3600_000;

/**
 * After a successful login: when the user's stored hash is weaker than a new one would be (a lower
 * cost, an older bcrypt prefix), the password just checked is hashed again and stored, but only
 * if the stored hash is still the one that was checked, so that a password changed meanwhile is
 * never overwritten. Of logins racing on one account, only the one that claims the old hash first
 * (a numbered attempt: a unique insert, atomic across replicas on every store) hashes at all. Best
 * effort: a rehash that cannot run now (the hashing pool is full, the database failed) gives its
 * claim back and leaves the old hash for a later login; only a caller who left stops the login.
 */
export async function rehashIfWeak(ctx: CoreContext, user: UserRecord, password: string, call: CallOptions): Promise<void> {
  const { passwordHash } = user;
  if (passwordHash === undefined || !ctx.hasher.needsRehash(passwordHash)) return;
  const claim = attemptKey('rehash', user.id, passwordHash);
  const now = ctx.now();
  try {
    if (!(await ctx.attempts.record(claim, { n: 1, at: now }, new Date(now.getTime() + CLAIM_MS)))) {
      ctx.events.passwordRehashed('superseded');
      return;
    }
    const fresh = await ctx.hasher.hash(password, call);
    const stored = await ctx.users.replacePasswordHash(user.id, passwordHash, fresh);
    ctx.events.passwordRehashed(stored ? 'stored' : 'superseded');
  } catch (err) {
    await ctx.attempts.release(claim, 1).catch(() => undefined);
    const error = toAuthError(err);
    if (error.code === ErrorCode.CANCELLED) throw error;
    ctx.logger.warn({ userId: user.id, reason: error.code }, 'password rehash skipped');
  }
}
