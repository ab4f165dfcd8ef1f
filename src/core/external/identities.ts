import { DuplicateIdentityError } from '../../storage/identities/port.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { requireUser } from './login.js';

/** An identity as its user sees it. */
export interface LinkedIdentity {
  provider: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  profile: Readonly<Record<string, string>>;
  created: Date;
  lastLogin: Date;
}

/** ListExternalIdentities: the identities linked to the token's user, oldest first. */
export async function listExternalIdentities(ctx: CoreContext, accessToken: string): Promise<LinkedIdentity[]> {
  const user = await requireUser(ctx, accessToken);
  return (await ctx.identities.listByUser(user.id)).map(({ provider, subject, email, emailVerified, profile, created, lastLogin }) => ({
    provider,
    subject,
    email,
    emailVerified,
    profile,
    created,
    lastLogin,
  }));
}

/**
 * UnlinkExternalIdentity: refused when the account has no password and this is its last identity,
 * since nothing would then log into it. Two concurrent unlinks of an account's last two identities
 * may both pass the first check; each then puts its identity back when it finds none left.
 */
export async function unlinkExternalIdentity(ctx: CoreContext, accessToken: string, provider: string, subject: string): Promise<void> {
  const user = await requireUser(ctx, accessToken);
  const identities = await ctx.identities.listByUser(user.id);
  const target = identities.find((identity) => identity.provider === provider && identity.subject === subject);
  if (!target) throw new AuthError(ErrorCode.IDENTITY_NOT_FOUND, 'no such identity is linked to this account');
  const lastWayIn = (): AuthError => new AuthError(ErrorCode.LAST_LOGIN_METHOD, 'the account has no password and no other identity: set a password or link another first');
  if (user.passwordHash === undefined && identities.length === 1) throw lastWayIn();
  if (!(await ctx.identities.delete(provider, subject, user.id))) throw new AuthError(ErrorCode.IDENTITY_NOT_FOUND, 'no such identity is linked to this account');
  if (user.passwordHash === undefined && (await ctx.identities.listByUser(user.id)).length === 0) {
    await ctx.identities.insert(target).catch((err: unknown) => {
      // Linked again meanwhile, by another flow: the account has its way in.
      if (!(err instanceof DuplicateIdentityError)) throw err;
    });
    throw lastWayIn();
  }
}
