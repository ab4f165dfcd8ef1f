import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthCore } from '../../core/auth-core.js';
import { checkAccess, identityHeaders, scopesOf } from '../gateway/access.js';
import { credentialOf, type HeaderValues } from '../gateway/credentials.js';
import { headerValues } from '../http/header-values.js';
import type { GatewaySettings } from '../gateway/settings.js';
import type { HttpRoutes } from '../http/server.js';
import { noteFailureCode } from '../http/observe.js';
import { loopBackError } from '../loopback-error.js';

export const VERIFY_PATH = '/auth/verify';

/** The URL the proxy was asked for, as Traefik (X-Forwarded-Uri) and the NGINX snippet (X-Original-URI) pass it. */
const ORIGINAL_URI_HEADERS = ['x-forwarded-uri', 'x-original-uri'];

interface VerifyQuery {
  scopes?: string | string[];
}

/**
 * Forward auth for NGINX's auth_request and Traefik's ForwardAuth: any method on /auth/verify, the
 * token checked by ValidateToken. 200 with the identity headers (the proxy copies them upstream),
 * 401 or 403 with a WWW-Authenticate challenge and LoopBack's error body; nothing else but 503
 * while the service cannot answer (auth_request takes any other status for an error of its own).
 */
export function forwardAuthRoutes(core: AuthCore, settings: GatewaySettings): HttpRoutes {
  return (app) => {
    app.route<{ Querystring: VerifyQuery }>({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: VERIFY_PATH,
      exposeHeadRoute: false,
      handler: async (request: FastifyRequest<{ Querystring: VerifyQuery }>, reply: FastifyReply) => {
        const headers: HeaderValues = (name) => headerValues(request.raw, name);
        const targets = [request.url, ...ORIGINAL_URI_HEADERS.flatMap(headers)];
        const credential = credentialOf(headers, settings.tokenSources, targets);
        const scopes = request.query.scopes;
        const access = await checkAccess(core, credential, scopesOf(Array.isArray(scopes) ? scopes.join(' ') : scopes));
        void reply.header('cache-control', 'no-store');
        if (!access.allowed) {
          const { status, challenge, code, message } = access.denial;
          noteFailureCode(request, code);
          return reply.code(status).header('www-authenticate', challenge).type('application/json; charset=utf-8').send(loopBackError(status, code, message));
        }
        for (const [name, value] of identityHeaders(settings.identityHeaders, access.identity)) {
          if (value !== undefined) void reply.header(name, value);
        }
        return reply.code(200).send();
      },
    });
  };
}
