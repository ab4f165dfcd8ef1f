import type { TokenRecord } from '../../storage/tokens/port.js';
import type { UserRecord } from '../../storage/users/port.js';
import type { CallOptions } from '../call.js';
import type { AuthPolicy, CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import type { RevokeReason, SessionRevokeReason, TokenKind } from '../events.js';
import { clientInfo } from './client-info.js';
import { isSession, scopesMatch } from './scopes.js';
import { newSessionId } from './session-id.js';
import { generateToken, hashToken, isWellFormedToken } from './token-format.js';
import { ETERNAL_TTL } from './ttl.js';

export interface IssuedToken {
  /** The token itself: shown once, here, and never stored. */
  id: string;
  ttlSeconds: number;
  created: Date;
  expiresAt: Date | undefined;
  userId: string;
  scopes: string[];
  /** Its session id (ListSessions, RevokeSession). */
  sessionId: string;
}

export const invalidToken = (): AuthError => new AuthError(ErrorCode.INVALID_TOKEN, 'invalid or expired access token');

/**
 * Issues a token for the user and stores only its hash, with a session id of its own and where the
 * call came from.
 */
export async function issueToken(
  ctx: CoreContext,
  user: UserRecord,
  ttlSeconds: number,
  scopes: string[],
  kind: TokenKind,
  call: CallOptions = {},
): Promise<IssuedToken> {
  const id = generateToken();
  const sessionId = newSessionId();
  const created = ctx.now();
  const expiresAt = ttlSeconds === ETERNAL_TTL ? undefined : new Date(created.getTime() + ttlSeconds * 1000);
  const { userAgent, address } = clientInfo(call);
  await ctx.tokens.insert({
    hash: hashToken(id),
    sessionId,
    userId: user.id,
    realm: user.realm,
    scopes,
    created,
    ttlSeconds,
    expiresAt,
    lastUsed: created,
    userAgent,
    address,
  });
  ctx.events.tokenIssued(kind);
  return { id, ttlSeconds, created, expiresAt, userId: user.id, scopes, sessionId };
}

/**
 * A new access token for a user who just proved who they are (a password, an external login),
 * within the user's session limit; undefined when the user was disabled or deleted meanwhile: a
 * DisableUser or DeleteUser that ran then revoked the user's tokens, perhaps before this one
 * existed, so the user is looked at again once it is stored, and the token given back.
 */
export async function openSession(ctx: CoreContext, user: UserRecord, ttlSeconds: number, call: CallOptions = {}): Promise<IssuedToken | undefined> {
  const token = await issueToken(ctx, user, ttlSeconds, [], 'access', call);
  const current = await ctx.users.findById(user.id);
  if (!current || current.disabled) {
    await ctx.tokens.take(hashToken(token.id));
    return undefined;
  }
  countRevoked(ctx, 'session-limit', (await ctx.tokens.trimUser(user.id, ctx.policy.maxSessionsPerUser)).length);
  return token;
}

const isExpired = (token: TokenRecord, now: Date): boolean => token.expiresAt !== undefined && token.expiresAt.getTime() <= now.getTime();

/** A session unused for longer than the idle timeout, when one is set (single-use tokens have their own short lifetime). */
const isIdle = (policy: AuthPolicy, token: TokenRecord, now: Date): boolean =>
  policy.idleTimeoutSeconds > 0 && isSession(token) && now.getTime() - token.lastUsed.getTime() > policy.idleTimeoutSeconds * 1000;

/** Whether a stored token is still good at `now`: neither expired nor idle. */
export function isLive(policy: AuthPolicy, token: TokenRecord, now: Date): boolean {
  return !isExpired(token, now) && !isIdle(policy, token, now);
}

/**
 * The token's record if it exists, is live, and its scopes match what the caller accepts; the use
 * is then recorded (the store coalesces these writes). A session found idle is deleted, so that it
 * stays dead whatever happens to its last use later.
 */
export async function findActiveToken(ctx: CoreContext, token: string, acceptedScopes: readonly string[]): Promise<TokenRecord | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  const record = await ctx.tokens.find(hashToken(token));
  const now = ctx.now();
  if (!record || isExpired(record, now)) return undefined;
  if (isIdle(ctx.policy, record, now)) {
    if (await ctx.tokens.take(record.hash)) ctx.events.sessionsRevoked('idle', 1);
    return undefined;
  }
  if (!scopesMatch(record.scopes, acceptedScopes)) return undefined;
  await ctx.tokens.touch(record.hash, now);
  return record;
}

/** As findActiveToken, for calls that act with the token: INVALID_TOKEN when it is not active. */
export async function requireToken(ctx: CoreContext, token: string, acceptedScopes: readonly string[] = []): Promise<TokenRecord> {
  if (token === '') throw new AuthError(ErrorCode.INVALID_TOKEN, 'access token is required');
  const record = await findActiveToken(ctx, token, acceptedScopes);
  if (!record) throw invalidToken();
  return record;
}

/** The user's live sessions: access tokens neither expired nor idle (reset and verification tokens are no sessions). */
export async function liveSessionsOf(ctx: CoreContext, userId: string): Promise<TokenRecord[]> {
  const now = ctx.now();
  return (await ctx.tokens.listByUser(userId)).filter((token) => isSession(token) && isLive(ctx.policy, token, now));
}

/** Reports revocations that happened. */
export function countRevoked(ctx: CoreContext, reason: RevokeReason, count: number): void {
  if (count > 0) ctx.events.tokensRevoked(reason, count);
}

/** Reports sessions that ended through session management, as countRevoked reports revocations. */
export function countSessionsEnded(ctx: CoreContext, reason: SessionRevokeReason, count: number): void {
  if (count > 0) ctx.events.sessionsRevoked(reason, count);
}
