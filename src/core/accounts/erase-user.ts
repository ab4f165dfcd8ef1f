import type { CoreContext } from '../context.js';
import { notify } from '../notify.js';
import { countSessionsEnded } from '../sessions/tokens.js';
import { attemptKey } from '../throttle/attempt-key.js';
import { accountLockKey } from '../throttle/login-lock.js';

/** What erasing a user did. */
export interface Erasure {
  /** Whether this call deleted the user (false: there was none by then). */
  deleted: boolean;
  /** Tokens revoked with it. */
  revoked: number;
}

/**
 * Deletes a user and everything kept for it, for its owner (DELETE /api/users/{id}) and for an
 * operator (AdminService.DeleteUser) alike. The user goes first, so that a login starting after it
 * finds no one (and one racing it looks again after issuing its token, and gives it back); then
 * its linked external identities and every token of it, also when the user was gone already (a
 * retry after a failure in between; an identity left behind meanwhile reaches no one, since an
 * external login treats an identity whose user is gone as unlinked); then the counters kept for it: its login lock, its rehash claim, and the reset and verification
 * limits of its email. The `user-deleted` event goes out from the call that deleted the user.
 */
export async function eraseUser(ctx: CoreContext, userId: string): Promise<Erasure> {
  const user = await ctx.users.findById(userId);
  const deleted = user !== undefined && (await ctx.users.delete(userId));
  await ctx.identities.deleteByUser(userId);
  const revoked = await ctx.tokens.deleteByUser(userId);
  countSessionsEnded(ctx, 'user-deleted', revoked);
  if (user === undefined || !deleted) return { deleted, revoked };
  for (const key of [
    accountLockKey(user),
    ...(user.passwordHash === undefined ? [] : [attemptKey('rehash', user.id, user.passwordHash)]),
    attemptKey('reset', user.realm, user.email),
    attemptKey('verify', user.realm, user.email),
  ]) {
    await ctx.attempts.forget(key);
  }
  notify(ctx, { type: 'user-deleted', email: user.email, userId: user.id, realm: user.realm });
  return { deleted, revoked };
}
