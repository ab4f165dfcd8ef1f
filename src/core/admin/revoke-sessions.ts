import type { CoreContext } from '../context.js';
import { countSessionsEnded } from '../sessions/tokens.js';
import { requireUser } from './admin-user.js';

/** RevokeUserSessions: every token of the user is revoked; the account stays usable. Answers how many. */
export async function revokeUserSessions(ctx: CoreContext, userId: string): Promise<number> {
  await requireUser(ctx, userId);
  const revoked = await ctx.tokens.deleteByUser(userId);
  countSessionsEnded(ctx, 'admin', revoked);
  return revoked;
}
