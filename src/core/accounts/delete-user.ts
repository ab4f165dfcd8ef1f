import type { CoreContext } from '../context.js';
import { countRevoked } from '../sessions/tokens.js';
import { requireOwner } from './owner.js';

/**
 * DeleteUser: deletes the caller's own account, then its linked external identities and every token
 * of it; answers how many users were deleted (LoopBack's `{count}`). The user goes first, so that a
 * login starting after it finds no one, and a retry after a failure in between (the token still
 * works) finds the user gone, answers 0, and deletes the rest all the same. An identity left behind
 * meanwhile reaches no one: an external login treats an identity whose user is gone as unlinked.
 */
export async function deleteUser(ctx: CoreContext, accessToken: string, userId: string): Promise<number> {
  await requireOwner(ctx, accessToken, userId);
  const deleted = await ctx.users.delete(userId);
  await ctx.identities.deleteByUser(userId);
  countRevoked(ctx, 'user-deleted', await ctx.tokens.deleteByUser(userId));
  return deleted ? 1 : 0;
}
