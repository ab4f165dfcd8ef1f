import type { FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { whenDecided, type AuthClient } from './client.js';
import { httpRefusal } from './http.js';
import { requiredScopesOf } from './scopes.js';
import type { AuthContext } from './token-check.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, on every route the auth plugin covers; null elsewhere. */
    auth: AuthContext | null;
  }
}

export interface FastifyAuthOptions {
  client: AuthClient;
  /** Scopes the token must hold on every route of the scope the plugin is registered in. */
  requiredScopes?: string[];
}

/**
 * Refuses, before the body is read, every request of the Fastify scope it is registered in that
 * lacks an active token holding the required scopes (401/403 with WWW-Authenticate, 503 when the
 * service cannot be reached), and sets `request.auth` on the others.
 */
const plugin: FastifyPluginAsync<FastifyAuthOptions> = async (app, options) => {
  const requiredScopes = requiredScopesOf(options.requiredScopes);
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null);
  // A callback hook, not an async one: a cached answer lets the request through with no promise.
  app.addHook('onRequest', (request, reply, done) => {
    whenDecided(options.client, request.headers.authorization, requiredScopes, (verdict) => {
      if (verdict.ok) {
        request.auth = verdict.auth;
        done();
        return;
      }
      if (verdict.reason === 'unavailable') request.log.warn({ err: verdict.error }, 'auth service unreachable: request refused');
      const refusal = httpRefusal(verdict, requiredScopes);
      // Answering from a callback hook: reply.send() in place of done().
      void reply.code(refusal.status).headers(refusal.headers).send(refusal.body);
    });
  });
};

export const fastifyAuth = fastifyPlugin(plugin, { fastify: '5.x', name: '@auth-service/client' });
