import type { TokenRecord } from '../../storage/tokens/port.js';
import type { UserRecord } from '../../storage/users/port.js';
import type { CallOptions } from '../call.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import type { RevokeReason, TokenKind } from '../events.js';
import { clientInfo } from './client-info.js';
import { scopesMatch } from './scopes.js';
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

/** Whether a stored token is still good at `now`: not expired. */
export function isLive(token: TokenRecord, now: Date): boolean {
  return token.expiresAt === undefined || token.expiresAt.getTime() > now.getTime();
}

/** The token's record if it exists, is live, and its scopes match what the caller accepts. */
export async function findActiveToken(ctx: CoreContext, token: string, acceptedScopes: readonly string[]): Promise<TokenRecord | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  const record = await ctx.tokens.find(hashToken(token));
  if (!record || !isLive(record, ctx.now())) return undefined;
  return scopesMatch(record.scopes, acceptedScopes) ? record : undefined;
}

/** As findActiveToken, for calls that act with the token: INVALID_TOKEN when it is not active. */
export async function requireToken(ctx: CoreContext, token: string, acceptedScopes: readonly string[] = []): Promise<TokenRecord> {
  if (token === '') throw new AuthError(ErrorCode.INVALID_TOKEN, 'access token is required');
  const record = await findActiveToken(ctx, token, acceptedScopes);
  if (!record) throw invalidToken();
  return record;
}

/** Reports revocations that happened. */
export function countRevoked(ctx: CoreContext, reason: RevokeReason, count: number): void {
  if (count > 0) ctx.events.tokensRevoked(reason, count);
}
