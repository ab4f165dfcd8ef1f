import type { CallOptions } from '../call.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { countRevoked, invalidToken, requireToken } from '../sessions/tokens.js';
import { accountLockKey, checkUnderLock } from '../throttle/login-lock.js';
import { checkNewPassword, fitsBcrypt } from './rules.js';

/** ChangePassword: checks the old password, sets the new one, revokes every other token of the user. */
export async function changePassword(
  ctx: CoreContext,
  accessToken: string,
  oldPassword: string,
  newPassword: string,
  call: CallOptions = {},
): Promise<void> {
  const token = await requireToken(ctx, accessToken);
  if (oldPassword === '') throw new AuthError(ErrorCode.PASSWORD_REQUIRED, 'old password is required');
  checkNewPassword(newPassword);
  const user = await ctx.users.findById(token.userId);
  if (!user) throw invalidToken();
  // Guessing the old password with a stolen token is guessing a login: same lock, same account.
  const currentHash = user.passwordHash;
  // An account without a password (made by an external login) has no old password to match.
  const ok = await checkUnderLock(ctx, accountLockKey(user), async () =>
    currentHash !== undefined && fitsBcrypt(oldPassword)
      ? ctx.hasher.verify(oldPassword, currentHash, call)
      : ctx.hasher.verifyNothing(oldPassword, call),
  );
  if (!ok) throw new AuthError(ErrorCode.INVALID_PASSWORD, 'old password is wrong');
  const passwordHash = await ctx.hasher.hash(newPassword, call);
  await ctx.users.setPasswordHash(user.id, passwordHash, ctx.now());
  countRevoked(ctx, 'password-changed', await ctx.tokens.deleteByUser(user.id, token.hash));
}
