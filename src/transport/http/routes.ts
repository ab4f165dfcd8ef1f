import type { FastifyInstance } from 'fastify';
import type { AuthCore } from '../../core/auth-core.js';
import {
  bodySchema,
  changePasswordFields,
  createUserFields,
  loginFields,
  queries,
  resetFields,
  setPasswordFields,
  validateFields,
  type BodyOf,
  type IncludeQuery,
  type LogoutQuery,
  type TokenQuery,
} from './schemas.js';
import { requestToken } from './token.js';
import { loginView, responses, userView, validationView } from './views.js';

/** Absent and null both mean "not given"; the use cases treat '' as that. */
const text = (value: string | null | undefined): string => value ?? '';

/** A ttl from JSON (a number) or a form (a digit string, '' for none); 0 and absent mean the default. */
function ttlOf(value: number | string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  return typeof value === 'string' ? Number(value) : value;
}

const listOf = (value: string[] | string | null | undefined): string[] | undefined =>
  value === null || value === undefined ? undefined : typeof value === 'string' ? [value] : value;

const wantsUser = (query: IncludeQuery): boolean => query.include !== undefined;

/**
 * LoopBack's User and token routes: each validates types by schema, calls one use case, and shapes
 * the answer. No rule lives here; errors propagate to the server's one error handler.
 */
export function registerApiRoutes(app: FastifyInstance, service: AuthCore): void {
  app.post<{ Body: BodyOf<typeof loginFields> | undefined; Querystring: IncludeQuery }>(
    '/api/users/login',
    { schema: { body: bodySchema(loginFields), querystring: queries.login, response: responses.login } },
    async (request) => {
      const body = request.body ?? {};
      const result = await service.login({
        email: text(body.email),
        username: text(body.username),
        password: text(body.password),
        realm: text(body.realm),
        ttlSeconds: ttlOf(body.ttl),
        includeUser: wantsUser(request.query),
      });
      return loginView(result);
    },
  );

  // LoopBack accepts any verb for logout ("any verb is allowed" in its docs); HEAD and OPTIONS are
  // left out so that probes and CORS preflights never revoke a token.
  app.route<{ Querystring: LogoutQuery }>({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/api/users/logout',
    exposeHeadRoute: false,
    schema: { querystring: queries.logout },
    handler: async (request, reply) => {
      const all = request.query.all === 'true' || request.query.all === '1';
      await service.logout(requestToken(request), all);
      return reply.code(204).send();
    },
  });

  app.post<{ Body: BodyOf<typeof resetFields> | undefined }>(
    '/api/users/reset',
    { schema: { body: bodySchema(resetFields) } },
    async (request, reply) => {
      const body = request.body ?? {};
      await service.resetPassword(text(body.email), text(body.realm));
      return reply.code(204).send();
    },
  );

  app.post<{ Body: BodyOf<typeof setPasswordFields> | undefined; Querystring: TokenQuery }>(
    '/api/users/reset-password',
    { schema: { body: bodySchema(setPasswordFields), querystring: queries.token } },
    async (request, reply) => {
      await service.setPassword(requestToken(request), text(request.body?.newPassword));
      return reply.code(204).send();
    },
  );

  app.post<{ Body: BodyOf<typeof changePasswordFields> | undefined; Querystring: TokenQuery }>(
    '/api/users/change-password',
    { schema: { body: bodySchema(changePasswordFields), querystring: queries.token } },
    async (request, reply) => {
      const body = request.body ?? {};
      await service.changePassword(requestToken(request), text(body.oldPassword), text(body.newPassword));
      return reply.code(204).send();
    },
  );

  app.post<{ Body: BodyOf<typeof createUserFields> | undefined }>(
    '/api/users',
    { schema: { body: bodySchema(createUserFields), response: responses.user } },
    async (request) => {
      const body = request.body ?? {};
      const user = await service.createUser({
        email: text(body.email),
        username: text(body.username),
        password: text(body.password),
        realm: text(body.realm),
        clientAddress: request.ip,
      });
      return userView(user);
    },
  );

  app.post<{ Body: BodyOf<typeof validateFields> | undefined; Querystring: TokenQuery & IncludeQuery }>(
    '/api/tokens/validate',
    { schema: { body: bodySchema(validateFields), querystring: queries.validate, response: responses.validate } },
    async (request) => {
      const body = request.body ?? {};
      const result = await service.validateToken({
        accessToken: text(body.accessToken) || requestToken(request),
        requiredScopes: listOf(body.requiredScopes),
        includeUser: wantsUser(request.query),
      });
      return validationView(result);
    },
  );
}
