import type { TokenRecord } from '../../storage/tokens/port.js';
import { requireOwner } from '../accounts/owner.js';
import type { CoreContext } from '../context.js';
import { requireToken } from './tokens.js';

/**
 * The access token of a call on its own user's sessions. With `ownerId` (REST's
 * `/api/users/{id}/...`) it must be that user's token, else AUTHORIZATION_REQUIRED, as LoopBack's
 * owner-only routes answer; without, any active access token, else INVALID_TOKEN.
 */
export function callerToken(ctx: CoreContext, accessToken: string, ownerId?: string): Promise<TokenRecord> {
  return ownerId === undefined ? requireToken(ctx, accessToken) : requireOwner(ctx, accessToken, ownerId);
}
