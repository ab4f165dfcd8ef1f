import { toPublicUser, type PublicUser } from '../accounts/public-user.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { findActiveToken } from './tokens.js';

export interface ValidateInput {
  accessToken: string;
  requiredScopes?: string[];
  includeUser?: boolean;
}

export type Validation =
  | { active: false }
  | {
      active: true;
      userId: string;
      realm: string;
      scopes: string[];
      created: Date;
      expiresAt: Date | undefined;
      ttlSeconds: number;
      user: PublicUser | undefined;
    };

const INACTIVE: Validation = { active: false };

/** ValidateToken, the hot path: a hash and one indexed lookup (two with includeUser). */
export async function validateToken(ctx: CoreContext, input: ValidateInput): Promise<Validation> {
  if (input.accessToken === '') throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'access token is required');
  const token = await findActiveToken(ctx, input.accessToken, input.requiredScopes ?? []);
  if (!token) return INACTIVE;
  let user: PublicUser | undefined;
  if (input.includeUser) {
    const record = await ctx.users.findById(token.userId);
    if (!record || record.disabled) return INACTIVE;
    user = toPublicUser(record);
  }
  return {
    active: true,
    userId: token.userId,
    realm: token.realm,
    scopes: token.scopes,
    created: token.created,
    expiresAt: token.expiresAt,
    ttlSeconds: token.ttlSeconds,
    user,
  };
}
