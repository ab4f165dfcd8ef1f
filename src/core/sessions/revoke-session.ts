import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { callerToken } from './caller.js';
import { isSession } from './scopes.js';
import { isWellFormedSessionId } from './session-id.js';
import { isLive } from './tokens.js';

const sessionNotFound = (): AuthError => new AuthError(ErrorCode.SESSION_NOT_FOUND, 'no such session');

/**
 * RevokeSession: ends one of the caller's own sessions (the current one too). A session id of
 * another user, an expired one and a malformed one all answer SESSION_NOT_FOUND, as one that never
 * existed: the lookup is by user and id together, so another user's session is never touched.
 */
export async function revokeSession(ctx: CoreContext, accessToken: string, sessionId: string, ownerId?: string): Promise<void> {
  const caller = await callerToken(ctx, accessToken, ownerId);
  if (sessionId === '') throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'session id is required');
  if (!isWellFormedSessionId(sessionId)) throw sessionNotFound();
  const taken = await ctx.tokens.takeSession(caller.userId, sessionId);
  if (!taken || !isSession(taken) || !isLive(ctx.policy, taken, ctx.now())) throw sessionNotFound();
  ctx.events.sessionsRevoked('revoked', 1);
}
