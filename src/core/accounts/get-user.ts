import type { CoreContext } from '../context.js';
import { authorizationRequired, requireOwner } from './owner.js';
import { toPublicUser, type PublicUser } from './public-user.js';

/** GetUser: a user's own account, read with one of their access tokens. */
export async function getUser(ctx: CoreContext, accessToken: string, userId: string): Promise<PublicUser> {
  await requireOwner(ctx, accessToken, userId);
  const user = await ctx.users.findById(userId);
  if (!user) throw authorizationRequired();
  return toPublicUser(user);
}
