import type { CoreContext } from '../context.js';
import { notify } from '../notify.js';
import { countSessionsEnded } from '../sessions/tokens.js';
import type { UserRecord } from '../../storage/users/port.js';
import { adminView, requireUser, userNotFound, type AdminUser } from './admin-user.js';

async function setDisabled(ctx: CoreContext, userId: string, disabled: boolean): Promise<UserRecord> {
  await requireUser(ctx, userId);
  const user = await ctx.users.update(userId, { disabled });
  if (!user) throw userNotFound(); // deleted meanwhile
  return user;
}

/**
 * DisableUser: the account can no longer log in (Login answers LOGIN_FAILED, as for a wrong
 * password) and every token of it is revoked. The flag is set before the tokens go, and Login
 * looks at the user again after issuing a token, so a login racing this call keeps no token.
 */
export async function disableUser(ctx: CoreContext, userId: string): Promise<{ user: AdminUser; revoked: number }> {
  const user = await setDisabled(ctx, userId, true);
  const revoked = await ctx.tokens.deleteByUser(userId);
  countSessionsEnded(ctx, 'user-disabled', revoked);
  notify(ctx, { type: 'user-disabled', email: user.email, userId: user.id, realm: user.realm });
  return { user: await adminView(ctx, user), revoked };
}

/** EnableUser: a disabled account may log in again; its revoked tokens stay revoked. */
export async function enableUser(ctx: CoreContext, userId: string): Promise<AdminUser> {
  const user = await setDisabled(ctx, userId, false);
  notify(ctx, { type: 'user-enabled', email: user.email, userId: user.id, realm: user.realm });
  return adminView(ctx, user);
}
