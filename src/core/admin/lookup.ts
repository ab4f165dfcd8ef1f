import type { CoreContext } from '../context.js';
import { normalizeRealm } from '../accounts/identity.js';
import { findByIdentity, loginIdentity, type LoginInput } from '../sessions/login.js';
import { adminView, requireUser, userNotFound, type AdminUser } from './admin-user.js';

/** GetUser: a user by id. */
export async function getUser(ctx: CoreContext, userId: string): Promise<AdminUser> {
  return adminView(ctx, await requireUser(ctx, userId));
}

/** FindUser: the user of an email, else of a username, in a realm, normalized as Login normalizes them. */
export async function findUser(ctx: CoreContext, input: Pick<LoginInput, 'email' | 'username' | 'realm'>): Promise<AdminUser> {
  const realm = normalizeRealm(input.realm ?? '');
  const user = await findByIdentity(ctx, realm, loginIdentity(input));
  if (!user) throw userNotFound();
  return adminView(ctx, user);
}
