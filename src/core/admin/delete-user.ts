import type { CoreContext } from '../context.js';
import { notify } from '../notify.js';
import { attemptKey } from '../throttle/attempt-key.js';
import { accountLockKey } from '../throttle/login-lock.js';
import { requireUser, userNotFound } from './admin-user.js';

/**
 * DeleteUser: the user, then every token of it (a login racing this call finds no user when it
 * looks again, and gives its token back), then the counters kept for it: its login lock, its
 * rehash claim, and the reset and verification limits of its email. Answers the tokens revoked.
 */
export async function deleteUser(ctx: CoreContext, userId: string): Promise<number> {
  const user = await requireUser(ctx, userId);
  if (!(await ctx.users.delete(userId))) throw userNotFound();
  const revoked = await ctx.tokens.deleteByUser(userId);
  if (revoked > 0) ctx.events.sessionsRevoked('user-deleted', revoked);
  for (const key of [
    accountLockKey(user),
    attemptKey('rehash', user.id, user.passwordHash),
    attemptKey('reset', user.realm, user.email),
    attemptKey('verify', user.realm, user.email),
  ]) {
    await ctx.attempts.forget(key);
  }
  notify(ctx, { type: 'user-deleted', email: user.email, userId: user.id, realm: user.realm });
  return revoked;
}
