import type { UserRecord } from '../../storage/users/port.js';
import { normalizeRealm } from '../accounts/identity.js';
import { toPublicUser } from '../accounts/public-user.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import type { LoginMethod } from '../events.js';
import type { ExternalProfile, IdentityProvider } from '../ports.js';
import type { LoginResult } from '../sessions/login.js';
import { invalidToken, openSession, requireToken } from '../sessions/tokens.js';
import { resolveTtl } from '../sessions/ttl.js';
import { accountFor, linkIdentity } from './accounts.js';
import { beginLogin, takeLoginState, type BegunLogin, type CallbackCaller } from './login-state.js';
import { requireProvider } from './providers.js';

export interface StartExternalLoginInput {
  provider: string;
  redirectUri: string;
  realm?: string;
  /** REST: where to send the browser after success (its origin already checked by the transport). */
  returnTo?: string;
  /** REST: tie the login to the browser (a cookie), see CallbackCaller. */
  bindToBrowser?: boolean;
}

export interface SessionOptions {
  /** 0 or undefined: the default. */
  ttlSeconds?: number;
  includeUser?: boolean;
}

export interface CompleteExternalLoginInput extends SessionOptions {
  provider: string;
  /** The redirect URI as the provider sent the browser to it, query included. */
  callbackUrl: string;
  caller: CallbackCaller;
  /** Needed when the login was begun by LinkExternalIdentity: the same user's access token. */
  accessToken?: string;
}

export interface CompletedExternalLogin extends LoginResult {
  /** Where the REST flow was asked to send the browser; undefined for the default. */
  returnTo: string | undefined;
}

export interface ExchangeIdTokenInput extends SessionOptions {
  provider: string;
  idToken: string;
  /** When given, the ID token's nonce must equal it. */
  nonce?: string;
  realm?: string;
}

/** StartExternalLogin: an authorization URL at the provider, with its state kept server-side. */
export async function startExternalLogin(ctx: CoreContext, input: StartExternalLoginInput): Promise<BegunLogin> {
  const provider = requireProvider(ctx, input.provider);
  return beginLogin(ctx, provider, {
    redirectUri: input.redirectUri,
    realm: normalizeRealm(input.realm ?? ''),
    bindToBrowser: input.bindToBrowser ?? false,
    returnTo: input.returnTo,
  });
}

/** LinkExternalIdentity: as StartExternalLogin, for the signed-in user of the token, to link rather than log in. */
export async function startLinking(ctx: CoreContext, accessToken: string, providerName: string, redirectUri: string): Promise<BegunLogin> {
  const user = await requireUser(ctx, accessToken);
  const provider = requireProvider(ctx, providerName);
  return beginLogin(ctx, provider, { redirectUri, realm: user.realm, bindToBrowser: false, linkUserId: user.id });
}

/**
 * CompleteExternalLogin: the provider's answer checked and exchanged, then a session for the
 * account it reaches (or, for a login begun by LinkExternalIdentity, the identity linked to that
 * user and a session for them).
 */
export async function completeExternalLogin(ctx: CoreContext, input: CompleteExternalLoginInput): Promise<CompletedExternalLogin> {
  const provider = requireProvider(ctx, input.provider);
  return counted(ctx, 'external', provider, async () => {
    const ttlSeconds = resolveTtl(ctx.policy, input.ttlSeconds ?? 0);
    const { record, state, callback } = await takeLoginState(ctx, provider, input.callbackUrl, input.caller);
    const linkUser = record.linkUserId === undefined ? undefined : await requireUser(ctx, input.accessToken ?? '', record.linkUserId);
    const profile = await provider.completeAuthorization(callback, { state, nonce: record.nonce, codeVerifier: record.codeVerifier });
    let user: UserRecord;
    if (linkUser) {
      await linkIdentity(ctx, provider, profile, linkUser);
      user = linkUser;
    } else {
      user = await accountFor(ctx, provider, profile, record.realm);
    }
    return { ...(await session(ctx, user, ttlSeconds, input)), returnTo: record.returnTo };
  });
}

/** ExchangeIdToken: an ID token from an app's own SDK, fully checked, for a session. */
export async function exchangeIdToken(ctx: CoreContext, input: ExchangeIdTokenInput): Promise<LoginResult> {
  const provider = requireProvider(ctx, input.provider);
  return counted(ctx, 'id-token', provider, async () => {
    const realm = normalizeRealm(input.realm ?? '');
    const ttlSeconds = resolveTtl(ctx.policy, input.ttlSeconds ?? 0);
    const profile: ExternalProfile = await provider.verifyIdToken(input.idToken, input.nonce || undefined, ctx.now());
    return session(ctx, await accountFor(ctx, provider, profile, realm), ttlSeconds, input);
  });
}

async function session(ctx: CoreContext, user: UserRecord, ttlSeconds: number, options: SessionOptions): Promise<LoginResult> {
  const token = await openSession(ctx, user, ttlSeconds);
  // A disabled account, or one deleted meanwhile, gets no session, as a password login gets none.
  if (!token) throw new AuthError(ErrorCode.LOGIN_FAILED, 'login failed');
  return { token, user: options.includeUser ? toPublicUser(user) : undefined };
}

/** The token's user (and, when named, only that user), else INVALID_TOKEN. */
export async function requireUser(ctx: CoreContext, accessToken: string, expectedUserId?: string): Promise<UserRecord> {
  const token = await requireToken(ctx, accessToken);
  if (expectedUserId !== undefined && token.userId !== expectedUserId) throw invalidToken();
  const user = await ctx.users.findById(token.userId);
  if (!user) throw invalidToken();
  return user;
}

/** Counts the login by method and provider, whichever way it ends. */
async function counted<T>(ctx: CoreContext, method: LoginMethod, provider: IdentityProvider, login: () => Promise<T>): Promise<T> {
  try {
    const result = await login();
    ctx.events.loginAttempted('success', method, provider.name);
    return result;
  } catch (err) {
    ctx.events.loginAttempted('failure', method, provider.name);
    throw err;
  }
}
