import type { TokenRecord } from '../../storage/tokens/port.js';
import type { UserRecord } from '../../storage/users/port.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import type { RevokeReason, TokenKind } from '../events.js';
import { scopesMatch } from './scopes.js';
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
}

export const invalidToken = (): AuthError => new AuthError(ErrorCode.INVALID_TOKEN, 'invalid or expired access token');

/** Issues a token for the user and stores only its hash. */
export async function issueToken(ctx: CoreContext, user: UserRecord, ttlSeconds: number, scopes: string[], kind: TokenKind): Promise<IssuedToken> {
  const id = generateToken();
  const created = ctx.now();
  const expiresAt = ttlSeconds === ETERNAL_TTL ? undefined : new Date(created.getTime() + ttlSeconds * 1000);
  await ctx.tokens.insert({ hash: hashToken(id), userId: user.id, realm: user.realm, scopes, created, ttlSeconds, expiresAt });
  ctx.events.tokenIssued(kind);
  return { id, ttlSeconds, created, expiresAt, userId: user.id, scopes };
}

/** A new access token for a user who just proved who they are, within the user's session limit. */
export async function openSession(ctx: CoreContext, user: UserRecord, ttlSeconds: number): Promise<IssuedToken> {
  const token = await issueToken(ctx, user, ttlSeconds, [], 'access');
  countRevoked(ctx, 'session-limit', (await ctx.tokens.trimUser(user.id, ctx.policy.maxSessionsPerUser)).length);
  return token;
}

/** The token's record if it exists, has not expired, and its scopes match what the caller accepts. */
export async function findActiveToken(ctx: CoreContext, token: string, acceptedScopes: readonly string[]): Promise<TokenRecord | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  const record = await ctx.tokens.find(hashToken(token));
  if (!record) return undefined;
  if (record.expiresAt !== undefined && record.expiresAt.getTime() <= ctx.now().getTime()) return undefined;
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
