import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthCore } from '../../core/auth-core.js';
import { notFound } from './errors.js';
import {
  bodySchema,
  changePasswordFields,
  createUserFields,
  deleteUserFields,
  loginFields,
  logoutFields,
  queries,
  resetFields,
  setPasswordFields,
  updateUserFields,
  userParams,
  validateFields,
  type BodyOf,
  type IncludeQuery,
  type LogoutQuery,
  type TokenQuery,
  type UserParams,
} from './schemas.js';
import { callOf } from './call.js';
import type { TokenReader } from './token.js';
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

const wantsUser = (query: IncludeQuery): boolean => query.include !== undefined || query['include[0]'] !== undefined;

/** The action routes under /api/users: under another verb their name is no user id, but an unknown route. */
const USER_ACTIONS: ReadonlySet<string> = new Set(['login', 'logout', 'reset', 'reset-password', 'change-password', 'confirm']);

function userIdOf(request: FastifyRequest<{ Params: UserParams }>): string {
  const { id } = request.params;
  if (USER_ACTIONS.has(id.toLowerCase())) throw notFound();
  return id;
}

/**
 * LoopBack's User and token routes: each validates types by schema, calls one use case, and shapes
 * the answer. No rule lives here; errors propagate to the server's one error handler.
 */
export function registerApiRoutes(app: FastifyInstance, service: AuthCore, tokenOf: TokenReader): void {

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
      }, callOf(request));
      return loginView(result);
    },
  );

  // LoopBack accepts any verb for logout ("any verb is allowed" in its docs); HEAD and OPTIONS are
  // left out so that probes and CORS preflights never revoke a token. GET has no body, so it is a
  // route of its own; the others may carry the token in theirs, and any body (or none) is accepted.
  const logout = async (request: FastifyRequest<{ Querystring: LogoutQuery }>, reply: FastifyReply): Promise<FastifyReply> => {
    const all = request.query.all === 'true' || request.query.all === '1';
    await service.logout(tokenOf(request, { sid: true }), all);
    return reply.code(204).send();
  };
  app.route<{ Querystring: LogoutQuery }>({
    method: 'GET',
    url: '/api/users/logout',
    exposeHeadRoute: false,
    schema: { querystring: queries.logout },
    handler: logout,
  });
  app.route<{ Querystring: LogoutQuery; Body: BodyOf<typeof logoutFields> | undefined }>({
    method: ['POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/api/users/logout',
    schema: { querystring: queries.logout, body: bodySchema(logoutFields, { optional: true }) },
    handler: logout,
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
      await service.setPassword(tokenOf(request), text(request.body?.newPassword), callOf(request));
      return reply.code(204).send();
    },
  );

  app.post<{ Body: BodyOf<typeof changePasswordFields> | undefined; Querystring: TokenQuery }>(
    '/api/users/change-password',
    { schema: { body: bodySchema(changePasswordFields), querystring: queries.token } },
    async (request, reply) => {
      const body = request.body ?? {};
      await service.changePassword(tokenOf(request), text(body.oldPassword), text(body.newPassword), callOf(request));
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
      }, callOf(request));
      return userView(user);
    },
  );

  app.post<{ Body: BodyOf<typeof validateFields> | undefined; Querystring: TokenQuery & IncludeQuery }>(
    '/api/tokens/validate',
    { schema: { body: bodySchema(validateFields), querystring: queries.validate, response: responses.validate } },
    async (request) => {
      const body = request.body ?? {};
      const result = await service.validateToken({
        accessToken: text(body.accessToken) || tokenOf(request),
        requiredScopes: listOf(body.requiredScopes),
        includeUser: wantsUser(request.query),
      });
      return validationView(result);
    },
  );

  // LoopBack's User instance routes, for the owner only (its `$owner` ACL).
  app.get<{ Params: UserParams; Querystring: TokenQuery }>(
    '/api/users/:id',
    { schema: { params: userParams, querystring: queries.token, response: responses.user } },
    async (request) => userView(await service.getUser(tokenOf(request), userIdOf(request))),
  );

  app.patch<{ Params: UserParams; Querystring: TokenQuery; Body: BodyOf<typeof updateUserFields> | undefined }>(
    '/api/users/:id',
    { schema: { params: userParams, querystring: queries.token, body: bodySchema(updateUserFields, { onlyListed: true }), response: responses.user } },
    async (request) => {
      const body = request.body ?? {};
      const user = await service.updateUser(tokenOf(request), userIdOf(request), {
        email: body.email ?? undefined,
        username: body.username ?? undefined,
      });
      return userView(user);
    },
  );

  app.delete<{ Params: UserParams; Querystring: TokenQuery; Body: BodyOf<typeof deleteUserFields> | undefined }>(
    '/api/users/:id',
    { schema: { params: userParams, querystring: queries.token, body: bodySchema(deleteUserFields, { optional: true }), response: responses.count } },
    async (request) => ({ count: await service.deleteUser(tokenOf(request), userIdOf(request)) }),
  );
}
