import type { FastifyInstance } from 'fastify';
import type { AuthCore } from '../../core/auth-core.js';
import type { Session } from '../../core/sessions/list-sessions.js';
import { bodySchema, queries, revokeSessionFields, sessionParams, userParams, type BodyOf, type SessionParams, type TokenQuery, type UserParams } from './schemas.js';
import type { TokenReader } from './token.js';

/** A session in the shape of LoopBack's AccessToken (`id`, `ttl`, `created`, `userId`), `id` being the session id, never the token. */
interface SessionView {
  id: string;
  ttl: number;
  created: string;
  userId: string;
  scopes: string[];
  lastUsed: string;
  expiresAt?: string;
  userAgent?: string;
  address?: string;
  current: boolean;
}

function sessionView(session: Session): SessionView {
  const view: SessionView = {
    id: session.id,
    ttl: session.ttlSeconds,
    created: session.created.toISOString(),
    userId: session.userId,
    scopes: session.scopes,
    lastUsed: session.lastUsed.toISOString(),
    current: session.current,
  };
  if (session.expiresAt) view.expiresAt = session.expiresAt.toISOString();
  if (session.userAgent !== undefined) view.userAgent = session.userAgent;
  if (session.address !== undefined) view.address = session.address;
  return view;
}

const sessionsResponse = {
  200: {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        ttl: { type: 'integer' },
        created: { type: 'string' },
        userId: { type: 'string' },
        scopes: { type: 'array', items: { type: 'string' } },
        lastUsed: { type: 'string' },
        expiresAt: { type: 'string' },
        userAgent: { type: 'string' },
        address: { type: 'string' },
        current: { type: 'boolean' },
      },
      required: ['id', 'ttl', 'created', 'userId', 'scopes', 'lastUsed', 'current'],
    },
  },
} as const;

/**
 * LoopBack's routes of the User → AccessToken relation, for the owner only (any other caller gets
 * 401 AUTHORIZATION_REQUIRED, as LoopBack's `$owner` ACL answers): list one's sessions, end one.
 */
export function registerSessionRoutes(app: FastifyInstance, service: AuthCore, tokenOf: TokenReader): void {
  app.get<{ Params: UserParams; Querystring: TokenQuery }>(
    '/api/users/:id/accessTokens',
    { schema: { params: userParams, querystring: queries.token, response: sessionsResponse } },
    async (request) => (await service.listSessions(tokenOf(request), request.params.id)).map(sessionView),
  );

  app.delete<{ Params: SessionParams; Querystring: TokenQuery; Body: BodyOf<typeof revokeSessionFields> | undefined }>(
    '/api/users/:id/accessTokens/:fk',
    { schema: { params: sessionParams, querystring: queries.token, body: bodySchema(revokeSessionFields, { optional: true }) } },
    async (request, reply) => {
      await service.revokeSession(tokenOf(request), request.params.fk, request.params.id);
      return reply.code(204).send();
    },
  );
}
