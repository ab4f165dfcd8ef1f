import type { LoginStateRecord } from '../../storage/login-states/port.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import type { IdentityProvider } from '../ports.js';
import { generateToken, hashToken } from '../sessions/token-format.js';

/** How long a browser may take at the provider before its login state is forgotten. */
export const LOGIN_STATE_TTL_MS = 10 * 60_000;

export interface BeginOptions {
  redirectUri: string;
  realm: string;
  /** Also tie the state to a secret the starting browser keeps (a cookie): the callback must show it. */
  bindToBrowser: boolean;
  /** Set when a signed-in user links an identity. */
  linkUserId?: string;
  returnTo?: string;
}

export interface BegunLogin {
  authorizationUrl: string;
  /** The `state` in that URL, for a caller that ties it to its own session. */
  state: string;
  /** The browser's secret when bindToBrowser was asked. */
  binding: string | undefined;
}

const invalidState = (why: string): AuthError => new AuthError(ErrorCode.INVALID_STATE, why);

/** Asks the provider for an authorization URL and keeps what finishing it needs, server-side, for 10 minutes. */
export async function beginLogin(ctx: CoreContext, provider: IdentityProvider, options: BeginOptions): Promise<BegunLogin> {
  if (!provider.redirectUris.includes(options.redirectUri)) {
    throw new AuthError(ErrorCode.INVALID_REDIRECT, 'redirect_uri is not one of the provider\'s redirect URIs');
  }
  const start = await provider.startAuthorization(options.redirectUri);
  const binding = options.bindToBrowser ? generateToken() : undefined;
  const created = ctx.now();
  await ctx.loginStates.insert({
    stateHash: hashToken(start.state),
    provider: provider.name,
    redirectUri: options.redirectUri,
    realm: options.realm,
    nonce: start.nonce,
    codeVerifier: start.codeVerifier,
    bindingHash: binding === undefined ? undefined : hashToken(binding),
    linkUserId: options.linkUserId,
    returnTo: options.returnTo,
    created,
    expiresAt: new Date(created.getTime() + LOGIN_STATE_TTL_MS),
  });
  return { authorizationUrl: start.url, state: start.state, binding };
}

/**
 * Who brings a callback back. A browser (the REST flow) shows the secret of the cookie set when
 * the login began; an app (gRPC) shows nothing, having tied the state to its own session itself.
 * A login begun one way is finished only the same way.
 */
export type CallbackCaller = { kind: 'browser'; binding: string | undefined } | { kind: 'app' };

function sameCaller(record: LoginStateRecord, caller: CallbackCaller): boolean {
  if (caller.kind === 'app') return record.bindingHash === undefined;
  return record.bindingHash !== undefined && caller.binding !== undefined && hashToken(caller.binding) === record.bindingHash;
}

export interface TakenLogin {
  record: LoginStateRecord;
  state: string;
  /** The provider's answer on the redirect URI the login began with, which the code exchange names again. */
  callback: URL;
}

/**
 * The login state a callback names, taken atomically: of concurrent or repeated callbacks with one
 * state, one goes on. Unknown, used, expired, another provider's, or begun by another browser:
 * INVALID_STATE (the state is used up either way).
 */
export async function takeLoginState(ctx: CoreContext, provider: IdentityProvider, callbackUrl: string, caller: CallbackCaller): Promise<TakenLogin> {
  // Never `new URL()` on a bad value: its TypeError carries the input (a code) into any log of it.
  if (!URL.canParse(callbackUrl)) throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'callback_url is not a URL');
  const answer = new URL(callbackUrl);
  const state = answer.searchParams.get('state');
  if (!state) throw invalidState('the callback carries no state');
  const record = await ctx.loginStates.take(hashToken(state));
  if (!record) throw invalidState('unknown or already used login state');
  if (record.expiresAt.getTime() <= ctx.now().getTime()) throw invalidState('login state expired');
  if (record.provider !== provider.name) throw invalidState('login state was begun with another provider');
  if (!sameCaller(record, caller)) throw invalidState('login state was begun by another browser or app');
  const callback = new URL(record.redirectUri);
  callback.search = answer.search;
  return { record, state, callback };
}
