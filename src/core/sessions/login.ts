import { throwIfGone, type CallOptions } from '../call.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { usernameKey, type UserRecord } from '../../storage/users/port.js';
import { normalizeEmail, normalizeRealm, normalizeUsername } from '../accounts/identity.js';
import { toPublicUser, type PublicUser } from '../accounts/public-user.js';
import { rehashIfWeak } from '../passwords/rehash.js';
import { fitsBcrypt } from '../passwords/rules.js';
import { accountLockKey, checkUnderLock, unknownIdentifierLockKey } from '../throttle/login-lock.js';
import { openSession, type IssuedToken } from './tokens.js';
import { resolveTtl } from './ttl.js';

export interface LoginInput {
  email?: string;
  username?: string;
  password: string;
  realm?: string;
  /** 0 or undefined: the default. */
  ttlSeconds?: number;
  includeUser?: boolean;
}

export interface LoginResult {
  token: IssuedToken;
  user: PublicUser | undefined;
}

const loginFailed = (): AuthError => new AuthError(ErrorCode.LOGIN_FAILED, 'login failed');

/** The identifier a login (or an operator's FindUser) names an account by: the email when given, else the username. */
export interface LoginIdentity {
  field: 'email' | 'username';
  value: string;
}

export function loginIdentity(input: Pick<LoginInput, 'email' | 'username'>): LoginIdentity {
  if (input.email) return { field: 'email', value: normalizeEmail(input.email) };
  // Folded, so that `Ann` and `ANN` reach one account and one lock.
  if (input.username) return { field: 'username', value: usernameKey(normalizeUsername(input.username)) };
  throw new AuthError(ErrorCode.USERNAME_EMAIL_REQUIRED, 'username or email is required');
}

/** The user an identity names in a realm, if any. */
export function findByIdentity(ctx: CoreContext, realm: string, identity: LoginIdentity): Promise<UserRecord | undefined> {
  return identity.field === 'email' ? ctx.users.findByEmail(realm, identity.value) : ctx.users.findByUsername(realm, identity.value);
}

/**
 * Login: a password checked under the account's lock, then a new access token; where verification
 * is required, only for a verified email.
 */
export async function login(ctx: CoreContext, input: LoginInput, call: CallOptions = {}): Promise<LoginResult> {
  // Before any other work: in a storm most calls end here.
  const refused = ctx.hasher.refusal(call);
  if (refused) throw refused;
  const realm = normalizeRealm(input.realm ?? '');
  const identity = loginIdentity(input);
  if (input.password === '') throw new AuthError(ErrorCode.PASSWORD_REQUIRED, 'password is required');
  const ttlSeconds = resolveTtl(ctx.policy, input.ttlSeconds ?? 0);

  const user = await findByIdentity(ctx, realm, identity);
  const lockKey = user ? accountLockKey(user) : unknownIdentifierLockKey(realm, `${identity.field}:${identity.value}`);
  const passwordHash = user?.passwordHash;
  const ok = await checkUnderLock(ctx, lockKey, async () => {
    // Unknown users, and accounts without a password (made by an external login), pay for a
    // bcrypt compare too, so that timing does not tell them apart.
    const matches =
      passwordHash !== undefined && fitsBcrypt(input.password)
        ? await ctx.hasher.verify(input.password, passwordHash, call)
        : await ctx.hasher.verifyNothing(input.password, call);
    // A disabled account fails as a wrong password does, after the same work, and counts as one.
    return matches && user?.disabled === false;
  });
  if (!ok || user === undefined) {
    ctx.events.loginAttempted('failure', 'password');
    throw loginFailed();
  }
  await rehashIfWeak(ctx, user, input.password, call);
  if (ctx.policy.emailVerificationRequired && !user.emailVerified) {
    // Only now, after the password: the same time as any other answer, and only its owner learns it.
    ctx.events.loginAttempted('unverified', 'password');
    throw new AuthError(ErrorCode.LOGIN_FAILED_EMAIL_NOT_VERIFIED, 'login failed as the email has not been verified', {
      details: { userId: user.id },
    });
  }
  throwIfGone(call);
  const token = await openSession(ctx, user, ttlSeconds, call);
  if (!token) {
    ctx.events.loginAttempted('failure', 'password');
    throw loginFailed();
  }
  ctx.events.loginAttempted('success', 'password');
  return { token, user: input.includeUser ? toPublicUser(user) : undefined };
}
