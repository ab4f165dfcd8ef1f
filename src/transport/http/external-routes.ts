import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthCore } from '../../core/auth-core.js';
import { AuthError, ErrorCode } from '../../core/errors.js';
import { PROVIDER_NAME } from '../../core/external/providers.js';
import type { LoginResult } from '../../core/sessions/login.js';
import { failureOf } from './errors.js';
import { noteFailureCode } from './observe.js';
import type { HttpRoutes } from './server.js';
import { loginView, responses } from './views.js';

/** What the REST login flow needs to know, from the composition root. */
export interface ExternalLoginSettings {
  /** The gateway as browsers reach it (PUBLIC_URL). */
  publicUrl: string;
  /** A provider's REST callback as browsers reach it: PUBLIC_URL/auth/{provider}/callback. */
  callbackUrl: (provider: string) => string;
  /** Where a successful login sends the browser (token in the fragment); unset: JSON. */
  successUrl: string | undefined;
  /** Where a failed login sends the browser (`?error=CODE`); unset: the error as JSON. */
  failureUrl: string | undefined;
  /** Origins a `returnTo` may name. */
  returnToOrigins: readonly string[];
}

interface ProviderParams {
  provider: string;
}
interface StartQuery {
  returnTo?: string;
  realm?: string;
}

/** A name that cannot be a provider's is malformed (400) before it reaches a URL or a cookie name. */
const providerParams = { type: 'object', properties: { provider: { type: 'string', pattern: PROVIDER_NAME.source } } };

/** How long the browser keeps the secret that ties it to its login: the login state's own lifetime. */
const BINDING_MAX_AGE_SECONDS = 600;

const callbackPath = (provider: string): string => `/auth/${encodeURIComponent(provider)}/callback`;
const cookieName = (provider: string): string => `auth_login_${provider}`;

/** The answer a JSON client wants, rather than a redirect. */
const wantsJson = (request: FastifyRequest): boolean => /\bapplication\/json\b/i.test(request.headers.accept ?? '');

/** `returnTo` only at a configured origin: never an open redirect. */
function checkedReturnTo(returnTo: string | undefined, origins: readonly string[]): string | undefined {
  if (returnTo === undefined || returnTo === '') return undefined;
  if (!URL.canParse(returnTo) || !origins.includes(new URL(returnTo).origin)) {
    throw new AuthError(ErrorCode.INVALID_REDIRECT, 'returnTo is not at an allowed origin');
  }
  return returnTo;
}

/** The success URL with the token in its fragment, which browsers never send to a server. */
function successRedirect(target: string, { token }: LoginResult): string {
  const url = new URL(target);
  url.hash = new URLSearchParams({ access_token: token.id, ttl: String(token.ttlSeconds), userId: token.userId }).toString();
  return url.href;
}

/**
 * The browser login flow, as loopback-component-passport offers it: `GET /auth/{provider}` sends
 * the browser to the provider (a cookie ties the login to it), `GET /auth/{provider}/callback`
 * logs in and sends it on to the success URL, or answers JSON. Failures go to the failure URL
 * with `?error=CODE`, or answer the error. HEAD is not served: a probe must not use up a login.
 */
export function externalLoginRoutes(service: AuthCore, settings: ExternalLoginSettings): HttpRoutes {
  return (app) => registerRoutes(app, service, settings);
}

function registerRoutes(app: FastifyInstance, service: AuthCore, settings: ExternalLoginSettings): void {
  const secure = new URL(settings.publicUrl).protocol === 'https:';
  const bindingCookie = (provider: string, value: string, maxAge: number): string =>
    serializeCookie(cookieName(provider), value, { httpOnly: true, secure, sameSite: 'lax', path: callbackPath(provider), maxAge });

  app.get<{ Params: ProviderParams; Querystring: StartQuery }>(
    '/auth/:provider',
    {
      exposeHeadRoute: false,
      schema: { params: providerParams, querystring: { type: 'object', properties: { returnTo: { type: 'string' }, realm: { type: 'string' } } } },
    },
    async (request, reply) => {
      const { provider } = request.params;
      const returnTo = checkedReturnTo(request.query.returnTo, settings.returnToOrigins);
      const begun = await service.startExternalLogin({
        provider,
        redirectUri: settings.callbackUrl(provider),
        realm: request.query.realm ?? '',
        returnTo,
        bindToBrowser: true,
      });
      void reply.header('set-cookie', bindingCookie(provider, begun.binding ?? '', BINDING_MAX_AGE_SECONDS));
      void reply.header('cache-control', 'no-store');
      return reply.redirect(begun.authorizationUrl, 302);
    },
  );

  app.get<{ Params: ProviderParams }>(
    '/auth/:provider/callback',
    { exposeHeadRoute: false, schema: { params: providerParams, response: responses.login } },
    async (request, reply) => {
      const { provider } = request.params;
      const binding = parseCookies(request.headers.cookie ?? '')[cookieName(provider)];
      // The cookie has done its job whatever happens next.
      void reply.header('set-cookie', bindingCookie(provider, '', 0));
      void reply.header('cache-control', 'no-store');
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      try {
        const result = await service.completeExternalLogin({
          provider,
          callbackUrl: `${settings.callbackUrl(provider)}${query}`,
          caller: { kind: 'browser', binding },
        });
        const target = result.returnTo ?? settings.successUrl;
        if (wantsJson(request) || target === undefined) return loginView(result);
        return await reply.redirect(successRedirect(target, result), 302);
      } catch (err) {
        if (wantsJson(request) || settings.failureUrl === undefined) throw err;
        return failureRedirect(request, reply, settings.failureUrl, err);
      }
    },
  );
}

function failureRedirect(request: FastifyRequest, reply: FastifyReply, failureUrl: string, err: unknown): FastifyReply {
  const { code } = failureOf(err);
  noteFailureCode(request, code);
  const url = new URL(failureUrl);
  url.searchParams.set('error', code);
  return reply.redirect(url.href, 302);
}
