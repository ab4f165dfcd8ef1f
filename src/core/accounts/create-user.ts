import { randomBytes } from 'node:crypto';
import type { UserRecord } from '../../storage/users/port.js';
import type { CallOptions } from '../call.js';
import type { CoreContext } from '../context.js';
import { checkNewPassword } from '../passwords/rules.js';
import { checkRealm, checkUsername, normalizeEmail } from './identity.js';
import { toPublicUser, type PublicUser } from './public-user.js';
import { asTakenFieldError } from './unique.js';

export interface CreateUserInput {
  email: string;
  username?: string;
  password: string;
  realm?: string;
}

/** CreateUser: a new account with a password; email (and username, when given) unique in the realm. */
export async function createUser(ctx: CoreContext, input: CreateUserInput, call: CallOptions = {}): Promise<PublicUser> {
  const email = normalizeEmail(input.email);
  const username = input.username ? checkUsername(input.username) : undefined;
  const realm = checkRealm(input.realm ?? '');
  checkNewPassword(input.password);
  const user: UserRecord = {
    id: randomBytes(12).toString('hex'),
    realm,
    email,
    username,
    passwordHash: await ctx.hasher.hash(input.password, call),
    emailVerified: false,
    created: ctx.now(),
  };
  try {
    await ctx.users.create(user);
  } catch (err) {
    throw asTakenFieldError(err);
  }
  return toPublicUser(user);
}
