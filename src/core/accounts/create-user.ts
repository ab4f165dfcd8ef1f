import { randomBytes } from 'node:crypto';
import type { UserRecord } from '../../storage/users/port.js';
import type { CallOptions } from '../call.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { checkNewPassword } from '../passwords/rules.js';
import { countSignup } from '../throttle/signup-limit.js';
import { sendVerification } from './email-verification.js';
import { normalizeEmail, normalizeRealm, normalizeUsername } from './identity.js';
import { toPublicUser, type PublicUser } from './public-user.js';
import { asTakenFieldError } from './unique.js';

export interface CreateUserInput {
  email: string;
  username?: string;
  password: string;
  realm?: string;
}

/**
 * CreateUser, the public sign-up: a new account with a password; email (and username, when given)
 * unique in the realm. Refused while sign-up is closed, and beyond the per-address limit. Where
 * verification is required, a verification token goes to the notifier.
 */
export async function createUser(ctx: CoreContext, input: CreateUserInput, call: CallOptions = {}): Promise<PublicUser> {
  if (!ctx.policy.signupOpen) throw new AuthError(ErrorCode.SIGNUP_CLOSED, 'sign-up is closed');
  const email = normalizeEmail(input.email);
  const username = input.username ? normalizeUsername(input.username) : undefined;
  const realm = normalizeRealm(input.realm ?? '');
  checkNewPassword(input.password);
  // Counted before the email is looked at: EMAIL_EXISTS tells whether an address is registered,
  // so the limit is also what bounds that question.
  // Callers inside the process (no address) are not limited.
  if (call.clientAddress !== undefined) await countSignup(ctx, realm, call.clientAddress);
  const user: UserRecord = {
    id: randomBytes(12).toString('hex'),
    realm,
    email,
    username,
    passwordHash: await ctx.hasher.hash(input.password, call),
    passwordChangedAt: undefined,
    emailVerified: false,
    disabled: false,
    created: ctx.now(),
  };
  try {
    await ctx.users.create(user);
  } catch (err) {
    throw asTakenFieldError(err);
  }
  if (ctx.policy.emailVerificationRequired) await sendVerification(ctx, user, call);
  return toPublicUser(user);
}
