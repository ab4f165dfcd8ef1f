import { randomBytes } from 'node:crypto';
import { DuplicateIdentityError, type IdentityRecord, type IdentityRefresh } from '../../storage/identities/port.js';
import { DuplicateKeyError, type UserRecord } from '../../storage/users/port.js';
import { normalizeEmail } from '../accounts/identity.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import type { ExternalProfile, IdentityProvider } from '../ports.js';

const conflict = (why: string): AuthError => new AuthError(ErrorCode.IDENTITY_CONFLICT, why);

/** The provider's email in the service's form, or undefined when it gave none the email rule accepts. */
function emailOf(profile: ExternalProfile): string | undefined {
  if (profile.email === undefined) return undefined;
  try {
    return normalizeEmail(profile.email);
  } catch {
    return undefined;
  }
}

/** What an identity holds of the provider's latest word on the account. */
function latestFrom(profile: ExternalProfile, at: Date): IdentityRefresh {
  const email = emailOf(profile);
  // A verified flag means nothing without the address it verifies.
  return { email, emailVerified: email !== undefined && profile.emailVerified, profile: profile.profile, lastLogin: at };
}

function newIdentity(provider: IdentityProvider, profile: ExternalProfile, userId: string, at: Date): IdentityRecord {
  return { provider: provider.name, subject: profile.subject, userId, created: at, ...latestFrom(profile, at) };
}

/** Links a new identity to the user; IDENTITY_CONFLICT when another user got it first. */
async function insertIdentity(ctx: CoreContext, identity: IdentityRecord): Promise<void> {
  try {
    await ctx.identities.insert(identity);
  } catch (err) {
    if (err instanceof DuplicateIdentityError) throw conflict('this external account is linked to another account');
    throw err;
  }
}

/**
 * The account an external login reaches: the one its identity is linked to; else the account with
 * the provider's email, linked only when the provider says the email is verified and its
 * configuration allows it (linkByVerifiedEmail); else a new account without a password. Anything
 * else is IDENTITY_CONFLICT with nothing created.
 */
export async function accountFor(ctx: CoreContext, provider: IdentityProvider, profile: ExternalProfile, realm: string): Promise<UserRecord> {
  const now = ctx.now();
  const linked = await ctx.identities.find(provider.name, profile.subject);
  if (linked) {
    const user = await ctx.users.findById(linked.userId);
    if (user) {
      if (user.realm !== realm) throw conflict('this external account is linked to an account in another realm');
      await ctx.identities.refresh(provider.name, profile.subject, latestFrom(profile, now));
      return user;
    }
    // The user is gone: the identity is free to start again.
    await ctx.identities.delete(provider.name, profile.subject, linked.userId);
  }

  const { email, emailVerified } = latestFrom(profile, now);
  if (email === undefined) throw new AuthError(ErrorCode.EXTERNAL_EMAIL_REQUIRED, 'the provider gave no usable email address for this account');
  const existing = await ctx.users.findByEmail(realm, email);
  if (existing) {
    if (!(emailVerified && provider.linkByVerifiedEmail)) throw conflict('an account with this email exists; sign in to it and link this provider');
    await insertIdentity(ctx, newIdentity(provider, profile, existing.id, now));
    return existing;
  }
  if (!ctx.policy.signupOpen) throw new AuthError(ErrorCode.SIGNUP_CLOSED, 'sign-up is closed');
  return createAccount(ctx, provider, profile, { realm, email, emailVerified, created: now });
}

/** A new account without a password, and its first identity. */
async function createAccount(
  ctx: CoreContext,
  provider: IdentityProvider,
  profile: ExternalProfile,
  account: Pick<UserRecord, 'realm' | 'email' | 'emailVerified' | 'created'>,
): Promise<UserRecord> {
  const user: UserRecord = {
    id: randomBytes(12).toString('hex'),
    username: undefined,
    passwordHash: undefined,
    passwordChangedAt: undefined,
    disabled: false,
    ...account,
  };
  try {
    await ctx.users.create(user);
  } catch (err) {
    // Another login made an account with this email a moment ago.
    if (err instanceof DuplicateKeyError) throw conflict('an account with this email exists; sign in to it and link this provider');
    throw err;
  }
  try {
    await insertIdentity(ctx, newIdentity(provider, profile, user.id, account.created));
  } catch (err) {
    // A concurrent login linked this identity first: the account made for it has no way in.
    await ctx.users.delete(user.id);
    throw err;
  }
  return user;
}

/** Links the identity to a signed-in user; already linked to them is fine, to anyone else IDENTITY_CONFLICT. */
export async function linkIdentity(ctx: CoreContext, provider: IdentityProvider, profile: ExternalProfile, user: UserRecord): Promise<void> {
  const now = ctx.now();
  const linked = await ctx.identities.find(provider.name, profile.subject);
  if (linked?.userId === user.id) {
    await ctx.identities.refresh(provider.name, profile.subject, latestFrom(profile, now));
    return;
  }
  if (linked && (await ctx.users.findById(linked.userId))) throw conflict('this external account is linked to another account');
  if (linked) await ctx.identities.delete(provider.name, profile.subject, linked.userId);
  await insertIdentity(ctx, newIdentity(provider, profile, user.id, now));
}
