import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { countRevoked, invalidToken, requireToken } from '../sessions/tokens.js';
import { checkUnderLock, loginLockKey } from '../throttle/login-lock.js';
import { checkNewPassword, fitsBcrypt } from './rules.js';

/** ChangePassword: checks the old password, sets the new one, revokes every other token of the user. */
export async function changePassword(ctx: CoreContext, accessToken: string, oldPassword: string, newPassword: string): Promise<void> {
  const token = await requireToken(ctx, accessToken);
  if (oldPassword === '') throw new AuthError(ErrorCode.PASSWORD_REQUIRED, 'old password is required');
  checkNewPassword(newPassword);
  const user = await ctx.users.findById(token.userId);
  if (!user) throw invalidToken();
  // Guessing the old password with a stolen token is guessing a login: same lock, same account.
  const ok = await checkUnderLock(ctx, loginLockKey(user.realm, 'email', user.email), async () =>
    fitsBcrypt(oldPassword) && ctx.hasher.verify(oldPassword, user.passwordHash),
  );
  if (!ok) throw new AuthError(ErrorCode.INVALID_PASSWORD, 'old password is wrong');
  await ctx.users.setPasswordHash(user.id, await ctx.hasher.hash(newPassword));
  countRevoked(ctx, 'password-changed', await ctx.tokens.deleteByUser(user.id, token.hash));
}
