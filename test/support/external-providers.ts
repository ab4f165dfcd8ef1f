import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Configuration, allowInsecureRequests, authorizationCodeGrant, buildAuthorizationUrl, calculatePKCECodeChallenge, randomPKCECodeVerifier, randomState, None } from 'openid-client';
import { Browser } from './browser.js';
import { freePort } from './net.js';
import { startTestProvider, type TestProvider } from './oidc-provider.js';

/**
 * The world the external-login tests run in: a real OpenID provider with the clients the service
 * and the tests use, a provider that is down and one that never answers, and the providers file
 * that names them all.
 */

/** Where the gRPC flow's app would receive the browser back; nothing listens there, the test browser stops short of it. */
export const APP_CALLBACK = 'http://app.test/cb';
export const MOBILE_CALLBACK = 'http://mobile.test/cb';
export const SECRETS = { TEST_OIDC_SECRET: 'service-secret-0123456789', TEST_OAUTH_SECRET: 'oauth-secret-0123456789', OTHER_SECRET: 'other-secret-0123456789' };

export interface ExternalWorld {
  provider: TestProvider;
  /** The IDENTITY_PROVIDERS_FILE naming `oidc`, `strict` (no linking by email), `github` (OAuth 2.0 shape), `down` and `slow`. */
  providersFile: string;
  /** Environment the service needs besides the file: the secrets. */
  env: Record<string, string>;
  /** An ID token from the provider for the mobile app (a real code flow with openid-client as its SDK). */
  mobileIdToken(accountId: string, nonce?: string): Promise<string>;
  /** Walks the provider's pages for a login begun elsewhere (an authorization URL for the `other` client, say). */
  codeFor(authorizationUrl: string, accountId: string, until: string): Promise<string>;
  /** An authorization URL of another client registered at the same provider, with the PKCE challenge of this verifier. */
  otherClientAuthorizationUrl(codeVerifier: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startExternalWorld(options: { publicUrl?: string; successUrl?: string; failureUrl?: string; returnToOrigins?: string[] } = {}): Promise<ExternalWorld> {
  const restCallbacks = options.publicUrl ? ['oidc', 'strict', 'github'].map((name) => `${options.publicUrl}/auth/${name}/callback`) : [];
  const provider = await startTestProvider([
    { client_id: 'auth-service', client_secret: SECRETS.TEST_OIDC_SECRET, redirect_uris: [APP_CALLBACK, ...restCallbacks], token_endpoint_auth_method: 'client_secret_post' },
    { client_id: 'auth-service-oauth', client_secret: SECRETS.TEST_OAUTH_SECRET, redirect_uris: [APP_CALLBACK, ...restCallbacks], token_endpoint_auth_method: 'client_secret_basic' },
    { client_id: 'other', client_secret: SECRETS.OTHER_SECRET, redirect_uris: [APP_CALLBACK], token_endpoint_auth_method: 'client_secret_post' },
    { client_id: 'mobile-app', redirect_uris: [MOBILE_CALLBACK], token_endpoint_auth_method: 'none' },
  ]);
  const downPort = await freePort();
  const slow = await silentServer();
  const oidc = { issuer: provider.issuer, clientId: 'auth-service', clientSecretEnv: 'TEST_OIDC_SECRET', redirectUris: [APP_CALLBACK], allowInsecureHttp: true };
  const file = {
    ...(options.successUrl ? { successUrl: options.successUrl } : {}),
    ...(options.failureUrl ? { failureUrl: options.failureUrl } : {}),
    ...(options.returnToOrigins ? { returnToOrigins: options.returnToOrigins } : {}),
    providers: {
      oidc: { ...oidc, linkByVerifiedEmail: true, idTokenClientIds: ['mobile-app'] },
      strict: oidc,
      github: {
        authorizationEndpoint: `${provider.issuer}/auth`,
        tokenEndpoint: `${provider.issuer}/token`,
        userinfoEndpoint: `${provider.issuer}/api/user`,
        // oidc-provider names itself in its redirects (RFC 9207); GitHub does not, and needs no issuer.
        issuer: provider.issuer,
        claims: { subject: 'id', email: 'email', name: 'name' },
        clientId: 'auth-service-oauth',
        clientSecretEnv: 'TEST_OAUTH_SECRET',
        tokenEndpointAuthMethod: 'client_secret_basic',
        redirectUris: [APP_CALLBACK],
        scopes: ['profile'],
        allowInsecureHttp: true,
      },
      down: { ...oidc, issuer: `http://127.0.0.1:${downPort}` },
      slow: { ...oidc, issuer: `http://127.0.0.1:${slow.port}` },
    },
  };
  const providersFile = join(mkdtempSync(join(tmpdir(), 'providers-')), 'providers.json');
  writeFileSync(providersFile, JSON.stringify(file, null, 2));

  const walkFor = async (authorizationUrl: string, accountId: string, until: string) =>
    new Browser().walk(authorizationUrl, until, { login: accountId, password: 'any' });

  return {
    provider,
    providersFile,
    env: { TEST_OIDC_SECRET: SECRETS.TEST_OIDC_SECRET, TEST_OAUTH_SECRET: SECRETS.TEST_OAUTH_SECRET },
    async mobileIdToken(accountId, nonce) {
      const config = new Configuration({ issuer: provider.issuer, authorization_endpoint: `${provider.issuer}/auth`, token_endpoint: `${provider.issuer}/token`, jwks_uri: `${provider.issuer}/jwks` }, 'mobile-app', undefined, None());
      allowInsecureRequests(config);
      const verifier = randomPKCECodeVerifier();
      const state = randomState();
      const url = buildAuthorizationUrl(config, {
        redirect_uri: MOBILE_CALLBACK,
        scope: 'openid email profile',
        state,
        code_challenge: await calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        // The claims an SDK's ID token carries (Google's carry email): asked into the ID token.
        claims: JSON.stringify({ id_token: { email: null, email_verified: null, name: null } }),
        ...(nonce ? { nonce } : {}),
      });
      const callback = await walkFor(url.href, accountId, MOBILE_CALLBACK);
      const tokens = await authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
      if (!tokens.id_token) throw new Error('no ID token');
      return tokens.id_token;
    },
    codeFor: walkFor,
    async otherClientAuthorizationUrl(codeVerifier) {
      const config = new Configuration({ issuer: provider.issuer, authorization_endpoint: `${provider.issuer}/auth`, token_endpoint: `${provider.issuer}/token` }, 'other', SECRETS.OTHER_SECRET);
      allowInsecureRequests(config);
      return buildAuthorizationUrl(config, {
        redirect_uri: APP_CALLBACK,
        scope: 'openid',
        state: randomState(),
        nonce: randomState(),
        code_challenge: await calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      }).href;
    },
    async stop() {
      await provider.stop();
      await slow.close();
    },
  };
}

/** A server that accepts connections and never answers: a provider that hangs. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
