import type { CallOptions } from '../call.js';
import type { CoreContext } from '../context.js';
import { countRevoked, invalidToken, requireToken } from '../sessions/tokens.js';
import { RESET_PASSWORD_SCOPE } from '../sessions/scopes.js';
import { checkNewPassword } from './rules.js';

/** SetPassword: consumes a reset token, sets the new password and revokes every token of the user. */
export async function setPassword(ctx: CoreContext, resetToken: string, newPassword: string, call: CallOptions = {}): Promise<void> {
  checkNewPassword(newPassword);
  const token = await requireToken(ctx, resetToken, [RESET_PASSWORD_SCOPE]);
  const passwordHash = await ctx.hasher.hash(newPassword, call);
  // The atomic take is what makes the token single-use: of two concurrent calls, one gets it.
  if (!(await ctx.tokens.take(token.hash))) throw invalidToken();
  countRevoked(ctx, 'reset-used', 1);
  await ctx.users.setPasswordHash(token.userId, passwordHash, ctx.now());
  countRevoked(ctx, 'password-set', await ctx.tokens.deleteByUser(token.userId));
}
