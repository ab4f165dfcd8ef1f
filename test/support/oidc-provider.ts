import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type ClientMetadata } from 'oidc-provider';
import { freePort } from './net.js';

/**
 * A real OpenID Provider for tests: oidc-provider (a certified implementation) on a loopback port,
 * with its development login and consent pages, accounts the test registers, and a GitHub-shaped
 * REST API (`GET /api/user` with a bearer access token) for plain OAuth 2.0 clients.
 */

export interface TestAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface SigningKey {
  /** The private JWK (with kid and alg), to sign test tokens as the provider would. */
  privateJwk: JWK;
  kid: string;
}

export interface TestProvider {
  issuer: string;
  /** Registers an account; the id is what the login page takes (any password). */
  addAccount(claims: TestAccount): string;
  /** The keys the provider signs with; the first signs. */
  keys: SigningKey[];
  /** From now on signs with the first of these keys and publishes them all (a key rotation); accounts and connections are kept. */
  rotate(keys: SigningKey[]): Promise<void>;
  stop(): Promise<void>;
}

export async function signingKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  return { privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' }, kid };
}

/** The GitHub-shaped account API: numeric id, login, name, email; 401 without a valid access token. */
function githubShapedApi(provider: Provider, accounts: Map<string, TestAccount>, numericIds: Map<string, number>): Parameters<Provider['use']>[0] {
  return async (ctx, next) => {
    if (ctx.path !== '/api/user') return next();
    const token = /^Bearer (.+)$/i.exec(ctx.get('authorization'))?.[1];
    const accessToken = token ? await provider.AccessToken.find(token) : undefined;
    const account = accessToken ? accounts.get(accessToken.accountId) : undefined;
    if (!accessToken || !account) {
      ctx.status = 401;
      ctx.body = { message: 'Bad credentials' };
      return;
    }
    ctx.body = { id: numericIds.get(accessToken.accountId), login: accessToken.accountId, name: account.name ?? null, email: account.email ?? null };
  };
}

export async function startTestProvider(clients: ClientMetadata[]): Promise<TestProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const accounts = new Map<string, TestAccount>();
  const numericIds = new Map<string, number>();

  const configure = (keys: SigningKey[]) => {
    const provider = new Provider(issuer, {
      clients,
      jwks: { keys: keys.map((key) => key.privateJwk) },
      cookies: { keys: ['test-only-cookie-key'] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      features: { devInteractions: { enabled: true }, claimsParameter: { enabled: true } },
      pkce: { required: () => true },
      async findAccount(_ctx, id) {
        const account = accounts.get(id);
        return account && { accountId: id, claims: async () => ({ sub: id, ...account }) };
      },
    });
    provider.use(githubShapedApi(provider, accounts, numericIds));
    return provider.callback();
  };
  // One server for the provider's life; a rotation swaps the provider behind it, as a real one
  // publishes new keys without dropping its clients' connections.
  const initial = [await signingKey()];
  let handler = configure(initial);
  const server = createServer((request, response) => void handler(request, response));
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');

  const handle: TestProvider = {
    issuer,
    keys: initial,
    addAccount(claims) {
      const id = `acct-${randomUUID()}`;
      accounts.set(id, claims);
      numericIds.set(id, 100_000 + numericIds.size);
      return id;
    },
    async rotate(keys) {
      handle.keys = keys;
      handler = configure(keys);
    },
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  return handle;
}
