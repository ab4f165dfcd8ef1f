import type { UserRecord } from '../../storage/users/port.js';
import { toPublicUser, type PublicUser } from '../accounts/public-user.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { liveSessionsOf } from '../sessions/tokens.js';

/** A user as an operator sees it: never the password hash. */
export interface AdminUser extends PublicUser {
  disabled: boolean;
  /** Live sessions (access tokens) now. */
  sessions: number;
}

export const userNotFound = (): AuthError => new AuthError(ErrorCode.USER_NOT_FOUND, 'no such user');

/** An id an operator named: INVALID_ARGUMENT when empty. */
export function requireUserId(userId: string): void {
  if (userId === '') throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'user id is required');
}

/** The user of an id an operator named: INVALID_ARGUMENT when empty, USER_NOT_FOUND when unknown. */
export async function requireUser(ctx: CoreContext, userId: string): Promise<UserRecord> {
  requireUserId(userId);
  const user = await ctx.users.findById(userId);
  if (!user) throw userNotFound();
  return user;
}

export async function adminView(ctx: CoreContext, user: UserRecord): Promise<AdminUser> {
  return { ...toPublicUser(user), disabled: user.disabled, sessions: (await liveSessionsOf(ctx, user.id)).length };
}
