import { eraseUser } from '../accounts/erase-user.js';
import type { CoreContext } from '../context.js';
import { requireUserId, userNotFound } from './admin-user.js';

/**
 * DeleteUser (AdminService): the user with its tokens and counters (see eraseUser); USER_NOT_FOUND
 * when there was no such user to delete. Answers the tokens revoked.
 */
export async function deleteUser(ctx: CoreContext, userId: string): Promise<number> {
  requireUserId(userId);
  const { deleted, revoked } = await eraseUser(ctx, userId);
  if (!deleted) throw userNotFound();
  return revoked;
}
