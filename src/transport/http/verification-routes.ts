import type { FastifyInstance } from 'fastify';
import type { AuthCore } from '../../core/auth-core.js';
import { AuthError, ErrorCode } from '../../core/errors.js';
import { userParams, type UserParams } from './schemas.js';

interface ConfirmQuery {
  uid?: string;
  token?: string;
  redirect?: string;
}

const confirmQuery = {
  type: 'object',
  properties: { uid: { type: 'string' }, token: { type: 'string' }, redirect: { type: 'string' } },
} as const;

/** Control characters and backslashes: a browser drops or rewrites them (`/\host` is another host). */
const UNSAFE_IN_PATH = /[\p{Cc}\\]/u;

/**
 * Where the confirm route may send the browser: a path on this gateway (one leading slash:
 * `//host` is another host), or a URL of one of the allowed origins. Anything else would make the
 * route an open redirect, which LoopBack's is.
 */
export function isAllowedRedirect(redirect: string, allowedOrigins: readonly string[]): boolean {
  if (redirect.startsWith('/')) return !redirect.startsWith('//') && !UNSAFE_IN_PATH.test(redirect);
  try {
    return allowedOrigins.includes(new URL(redirect).origin);
  } catch {
    return false;
  }
}

/** LoopBack's email verification routes: `POST /api/users/{id}/verify` and `GET /api/users/confirm`. */
export function registerVerificationRoutes(app: FastifyInstance, service: AuthCore, redirectOrigins: readonly string[]): void {
  // Anyone may ask (LoopBack's `$everyone` ACL): the answer is 204 whatever the id, and the token
  // goes only to the account's email.
  app.post<{ Params: UserParams }>('/api/users/:id/verify', { schema: { params: userParams } }, async (request, reply) => {
    await service.requestEmailVerificationById(request.params.id);
    return reply.code(204).send();
  });

  app.get<{ Querystring: ConfirmQuery }>('/api/users/confirm', { schema: { querystring: confirmQuery } }, async (request, reply) => {
    const { uid = '', token = '', redirect } = request.query;
    if (redirect !== undefined && !isAllowedRedirect(redirect, redirectOrigins)) {
      throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'redirect must be a path on this server or a URL of an allowed origin');
    }
    await service.confirmEmail(uid, token);
    return redirect === undefined ? reply.code(204).send() : reply.code(302).header('location', redirect).send();
  });
}
