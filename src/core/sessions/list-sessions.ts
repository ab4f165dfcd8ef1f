import type { TokenRecord } from '../../storage/tokens/port.js';
import type { CoreContext } from '../context.js';
import { callerToken } from './caller.js';
import { liveSessionsOf } from './tokens.js';

/** What the owner of a session may see of it: never the token, never its hash. */
export interface Session {
  id: string;
  userId: string;
  created: Date;
  lastUsed: Date;
  /** undefined for a token that never expires. */
  expiresAt: Date | undefined;
  ttlSeconds: number;
  scopes: string[];
  userAgent: string | undefined;
  address: string | undefined;
  /** Whether it is the session of the token that asked. */
  current: boolean;
}

/** Newest first; ties by id, so that every store lists alike. */
const newestFirst = (a: Session, b: Session): number => b.created.getTime() - a.created.getTime() || (a.id < b.id ? -1 : 1);

function toSession(token: TokenRecord, current: boolean): Session {
  return {
    id: token.sessionId,
    userId: token.userId,
    created: token.created,
    lastUsed: token.lastUsed,
    expiresAt: token.expiresAt,
    ttlSeconds: token.ttlSeconds,
    scopes: token.scopes,
    userAgent: token.userAgent,
    address: token.address,
    current,
  };
}

/** ListSessions: the live sessions of the caller's own user, newest first (see callerToken for `ownerId`). */
export async function listSessions(ctx: CoreContext, accessToken: string, ownerId?: string): Promise<Session[]> {
  const caller = await callerToken(ctx, accessToken, ownerId);
  return (await liveSessionsOf(ctx, caller.userId))
    .map((token) => toSession(token, token.hash === caller.hash))
    .sort(newestFirst);
}
