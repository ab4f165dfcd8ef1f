import type { CoreContext } from '../context.js';
import { countRevoked } from '../sessions/tokens.js';
import { requireOwner } from './owner.js';

/**
 * DeleteUser: deletes the caller's own account, then every token of it; answers how many users were
 * deleted (LoopBack's `{count}`). The user goes first, so that a login starting after it finds no
 * one, and a retry after a failure in between (the token still works) finds the user gone, answers
 * 0, and deletes the tokens all the same.
 */
export async function deleteUser(ctx: CoreContext, accessToken: string, userId: string): Promise<number> {
  await requireOwner(ctx, accessToken, userId);
  const deleted = await ctx.users.delete(userId);
  countRevoked(ctx, 'user-deleted', await ctx.tokens.deleteByUser(userId));
  return deleted ? 1 : 0;
}
