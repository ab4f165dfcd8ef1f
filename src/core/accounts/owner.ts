import type { TokenRecord } from '../../storage/tokens/port.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { findActiveToken } from '../sessions/tokens.js';

/** LoopBack's answer (code and message) when its `$owner` ACL refuses a request. */
export const authorizationRequired = (): AuthError => new AuthError(ErrorCode.AUTHORIZATION_REQUIRED, 'Authorization Required');

/**
 * The token of a call on user `userId`'s own account: an active access token of that user. A
 * missing, unknown, expired or scoped token and another user's token all give the same
 * AUTHORIZATION_REQUIRED, so the answer never tells whether a user id exists.
 */
export async function requireOwner(ctx: CoreContext, accessToken: string, userId: string): Promise<TokenRecord> {
  const token = accessToken === '' ? undefined : await findActiveToken(ctx, accessToken, []);
  if (!token || token.userId !== userId) throw authorizationRequired();
  return token;
}
