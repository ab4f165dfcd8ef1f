import type { CoreContext } from '../context.js';
import { countRevoked, invalidToken, requireToken } from './tokens.js';

/** Logout: revokes the token, or every token of its user; returns how many were revoked. */
export async function logout(ctx: CoreContext, accessToken: string, allSessions = false): Promise<number> {
  const token = await requireToken(ctx, accessToken);
  if (allSessions) {
    const revoked = await ctx.tokens.deleteByUser(token.userId);
    countRevoked(ctx, 'logout-all', revoked);
    return revoked;
  }
  // A concurrent logout may have taken it first: then this call revoked nothing.
  if (!(await ctx.tokens.take(token.hash))) throw invalidToken();
  countRevoked(ctx, 'logout', 1);
  return 1;
}
