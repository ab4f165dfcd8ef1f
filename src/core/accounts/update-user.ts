import type { UserChanges, UserRecord } from '../../storage/users/port.js';
import type { CoreContext } from '../context.js';
import { countRevoked } from '../sessions/tokens.js';
import { normalizeEmail, normalizeUsername } from './identity.js';
import { authorizationRequired, requireOwner } from './owner.js';
import { toPublicUser, type PublicUser } from './public-user.js';
import { asTakenFieldError } from './unique.js';

/** The fields a user may change on their own account; undefined leaves one as it is. */
export interface UserUpdate {
  email?: string;
  username?: string;
}

/**
 * UpdateUser: changes the email or username of the caller's own account. As in LoopBack 3, a new
 * email is unverified and every other token of the user is revoked (a stolen session must not
 * outlive the move of the account to another address); the token used stays valid.
 */
export async function updateUser(ctx: CoreContext, accessToken: string, userId: string, update: UserUpdate): Promise<PublicUser> {
  const token = await requireOwner(ctx, accessToken, userId);
  const email = update.email === undefined ? undefined : normalizeEmail(update.email);
  const username = update.username === undefined ? undefined : normalizeUsername(update.username);
  const user = await ctx.users.findById(userId);
  if (!user) throw authorizationRequired();

  const changes: UserChanges = {};
  if (email !== undefined && email !== user.email) {
    changes.email = email;
    changes.emailVerified = false;
  }
  if (username !== undefined && username !== user.username) changes.username = username;
  if (Object.keys(changes).length === 0) return toPublicUser(user);

  let updated: UserRecord | undefined;
  try {
    updated = await ctx.users.update(userId, changes);
  } catch (err) {
    throw asTakenFieldError(err);
  }
  if (!updated) throw authorizationRequired();
  if (changes.email !== undefined) countRevoked(ctx, 'email-changed', await ctx.tokens.deleteByUser(userId, token.hash));
  return toPublicUser(updated);
}
