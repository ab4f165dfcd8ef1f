import type { CoreContext } from '../context.js';
import { eraseUser } from './erase-user.js';
import { requireOwner } from './owner.js';

/**
 * DeleteUser: deletes the caller's own account with every token and counter of it (see eraseUser);
 * answers how many users were deleted (LoopBack's `{count}`): a retry after a failure in between
 * (the token still works) finds the user gone, answers 0, and deletes the tokens all the same.
 */
export async function deleteUser(ctx: CoreContext, accessToken: string, userId: string): Promise<number> {
  await requireOwner(ctx, accessToken, userId);
  return (await eraseUser(ctx, userId)).deleted ? 1 : 0;
}
