import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { Browser } from '../support/browser.js';
import { APP_CALLBACK, startExternalWorld, type ExternalWorld } from '../support/external-providers.js';
import { connect, errorDetails, type Client } from '../support/grpc-client.js';
import { grpcurl } from '../support/grpc-tools.js';
import { startMongo } from '../support/mongo.js';
import { freePort } from '../support/net.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

/**
 * Logins through external providers on a real server process, on both stores, against a real
 * OpenID provider (oidc-provider on loopback), driven the way apps and browsers drive them: gRPC
 * with grpc-js, REST with a browser that follows redirects and fills in the provider's pages.
 */

const SUCCESS_URL = 'http://app.test/welcome';
const FAILURE_URL = 'http://app.test/sorry';
const SHOP = 'http://shop.test';

async function rejectsWith(promise: Promise<unknown>, code: status, reason: string): Promise<void> {
  await assert.rejects(promise, (err: ServiceError) => {
    assert.equal(status[err.code], status[code], err.details);
    assert.equal(errorDetails(err).reason, reason);
    return true;
  });
}

/** The code of a REST error answer (LoopBack's shape). */
const errorCode = async (response: Response): Promise<string> => ((await response.json()) as { error: { code: string } }).error.code;

type StoreEnv = () => Promise<{ env: Record<string, string>; stop(): Promise<void> }>;

function describeExternalLogin(storeName: string, storeEnv: StoreEnv): void {
  describe(`external login end to end (${storeName} store)`, () => {
    let world: ExternalWorld;
    let server: ServerProcess;
    let client: Client;
    let database: Awaited<ReturnType<StoreEnv>>;
    /** The service's environment but its ports: a second replica shares it. */
    let serverEnv: Record<string, string>;
    /** Every secret the flows saw: none may reach a log line or a metric. */
    const secrets = new Set<string>();
    let emails = 0;
    const newEmail = () => `ext${++emails}-${Date.now()}@example.com`;

    before(async () => {
      database = await storeEnv();
      const httpPort = await freePort();
      const publicUrl = `http://127.0.0.1:${httpPort}`;
      world = await startExternalWorld({ publicUrl, successUrl: SUCCESS_URL, failureUrl: FAILURE_URL, returnToOrigins: [SHOP] });
      serverEnv = {
        ...database.env,
        ...world.env,
        PUBLIC_URL: publicUrl,
        IDENTITY_PROVIDERS_FILE: world.providersFile,
        IDENTITY_PROVIDER_TIMEOUT_MS: '1000',
        LOG_LEVEL: 'debug',
      };
      server = await startServer({ ...serverEnv, HTTP_PORT: String(httpPort) });
      client = connect(server.grpcAddress);
    });

    after(async () => {
      client.close();
      assert.equal(await server.stop(), 0);
      await world.stop();
      await database.stop();
    });

    /** StartExternalLogin, the provider's pages as the account, CompleteExternalLogin. */
    async function grpcLogin(provider: string, account: string, options: { authorization?: string; link?: boolean } = {}) {
      const begun = options.link
        ? await client.linkExternalIdentity({ accessToken: '', provider, redirectUri: APP_CALLBACK }, { authorization: options.authorization })
        : await client.startExternalLogin({ provider, redirectUri: APP_CALLBACK, realm: '' });
      assert.equal(new URL(begun.authorizationUrl).searchParams.get('state'), begun.state);
      const callbackUrl = await world.codeFor(begun.authorizationUrl, account, APP_CALLBACK);
      secrets.add(new URL(callbackUrl).searchParams.get('code') ?? '');
      secrets.add(begun.state);
      const result = await client.completeExternalLogin(
        { provider, callbackUrl, ttlSeconds: 0, includeUser: true, accessToken: '' },
        { authorization: options.authorization },
      );
      secrets.add(result.accessToken?.id ?? '');
      return { result, callbackUrl };
    }

    it('logs in over gRPC: first login makes the account, the next finds it', async () => {
      const email = newEmail();
      const account = world.provider.addAccount({ email, email_verified: true, name: 'Grace Hopper' });
      const { result: first, callbackUrl } = await grpcLogin('oidc', account);
      assert.equal(first.user?.email, email);
      assert.equal(first.user?.emailVerified, true);
      assert.match(first.accessToken?.id ?? '', /^[0-9A-Za-z]{64}$/);
      const validated = await client.validateToken({ accessToken: first.accessToken?.id ?? '', requiredScopes: [], includeUser: false });
      assert.equal(validated.active, true);
      const { identities } = await client.listExternalIdentities({ accessToken: '' }, { authorization: `Bearer ${first.accessToken?.id}` });
      assert.deepEqual(
        identities.map(({ provider, subject, email: e, emailVerified, profile }) => ({ provider, subject, email: e, emailVerified, profile })),
        [{ provider: 'oidc', subject: account, email, emailVerified: true, profile: { name: 'Grace Hopper' } }],
      );
      const { result: second } = await grpcLogin('oidc', account);
      assert.equal(second.accessToken?.userId, first.accessToken?.userId);
      // The callback was used once: a second try is INVALID_STATE.
      await rejectsWith(client.completeExternalLogin({ provider: 'oidc', callbackUrl, ttlSeconds: 0, includeUser: false, accessToken: '' }), status.INVALID_ARGUMENT, 'INVALID_STATE');
      // No password: a password login fails as a wrong one does.
      await rejectsWith(client.login({ email, username: '', password: 'some password', realm: '', ttlSeconds: 0, includeUser: false }), status.UNAUTHENTICATED, 'LOGIN_FAILED');
    });

    it('logs in through a plain OAuth 2.0 provider (GitHub-shaped userinfo) over gRPC', async () => {
      const email = newEmail();
      const { result } = await grpcLogin('github', world.provider.addAccount({ email, name: 'Octo Cat' }));
      assert.equal(result.user?.email, email);
      const { identities } = await client.listExternalIdentities({ accessToken: result.accessToken?.id ?? '' });
      assert.match(identities[0]?.subject ?? '', /^\d+$/);
    });

    it('exchanges an ID token from an app SDK for a session', async () => {
      const email = newEmail();
      const account = world.provider.addAccount({ email, email_verified: true });
      const idToken = await world.mobileIdToken(account, 'app-nonce');
      secrets.add(idToken);
      const result = await client.exchangeIdToken({ provider: 'oidc', idToken, nonce: 'app-nonce', realm: '', ttlSeconds: 3600, includeUser: true });
      assert.equal(result.user?.email, email);
      assert.equal(result.accessToken?.ttlSeconds, 3600);
      await rejectsWith(
        client.exchangeIdToken({ provider: 'oidc', idToken, nonce: 'another', realm: '', ttlSeconds: 0, includeUser: false }),
        status.UNAUTHENTICATED,
        'INVALID_ID_TOKEN',
      );
    });

    it('links by verified email, refuses an unverified one with ALREADY_EXISTS, and links and unlinks for a signed-in user', async () => {
      const email = newEmail();
      await client.createUser({ email, username: '', password: 'a good password', realm: '' });
      const { accessToken } = await client.login({ email, username: '', password: 'a good password', realm: '', ttlSeconds: 0, includeUser: false });
      const bearer = `Bearer ${accessToken?.id}`;
      await rejectsWith(grpcLogin('oidc', world.provider.addAccount({ email, email_verified: false })), status.ALREADY_EXISTS, 'IDENTITY_CONFLICT');
      const { result } = await grpcLogin('oidc', world.provider.addAccount({ email, email_verified: true }));
      assert.equal(result.accessToken?.userId, accessToken?.userId);

      const github = world.provider.addAccount({ email: 'other-address@example.org' });
      const { result: linked } = await grpcLogin('github', github, { authorization: bearer, link: true });
      assert.equal(linked.accessToken?.userId, accessToken?.userId);
      const { identities } = await client.listExternalIdentities({ accessToken: '' }, { authorization: bearer });
      assert.deepEqual(identities.map((i) => i.provider), ['oidc', 'github']);
      for (const identity of identities) await client.unlinkExternalIdentity({ accessToken: '', provider: identity.provider, subject: identity.subject }, { authorization: bearer });
      await rejectsWith(client.unlinkExternalIdentity({ accessToken: accessToken?.id ?? '', provider: 'oidc', subject: 'nobody' }), status.NOT_FOUND, 'IDENTITY_NOT_FOUND');
      assert.deepEqual((await client.listExternalIdentities({ accessToken: accessToken?.id ?? '' })).identities, []);
    });

    it('keeps the last way into an account without a password (FAILED_PRECONDITION)', async () => {
      const account = world.provider.addAccount({ email: newEmail(), email_verified: true });
      const { result } = await grpcLogin('oidc', account);
      await rejectsWith(
        client.unlinkExternalIdentity({ accessToken: result.accessToken?.id ?? '', provider: 'oidc', subject: account }),
        status.FAILED_PRECONDITION,
        'LAST_LOGIN_METHOD',
      );
    });

    it('answers clear errors: unknown provider, foreign redirect URI, provider down or hanging within the timeout', async () => {
      await rejectsWith(client.startExternalLogin({ provider: 'nope', redirectUri: APP_CALLBACK, realm: '' }), status.NOT_FOUND, 'UNKNOWN_PROVIDER');
      await rejectsWith(client.startExternalLogin({ provider: 'oidc', redirectUri: 'https://evil.example.com/cb', realm: '' }), status.INVALID_ARGUMENT, 'INVALID_REDIRECT');
      // The client waits 10 s; the service gives up on the provider after IDENTITY_PROVIDER_TIMEOUT_MS (1 s).
      await rejectsWith(client.startExternalLogin({ provider: 'down', redirectUri: APP_CALLBACK, realm: '' }), status.UNAVAILABLE, 'PROVIDER_UNAVAILABLE');
      await rejectsWith(client.startExternalLogin({ provider: 'slow', redirectUri: APP_CALLBACK, realm: '' }), status.UNAVAILABLE, 'PROVIDER_UNAVAILABLE');
      await rejectsWith(client.exchangeIdToken({ provider: 'slow', idToken: 'x.y.z', nonce: '', realm: '', ttlSeconds: 0, includeUser: false }), status.UNAVAILABLE, 'PROVIDER_UNAVAILABLE');
    });

    if (storeName === 'MongoDB') {
      it('finishes on one replica a login begun on another, once: of two replicas racing with one callback, one wins', async () => {
        const replica = await startServer({ ...serverEnv, HTTP_PORT: String(await freePort()) });
        const other = connect(replica.grpcAddress);
        try {
          const account = world.provider.addAccount({ email: newEmail(), email_verified: true });
          const { authorizationUrl, state } = await client.startExternalLogin({ provider: 'oidc', redirectUri: APP_CALLBACK, realm: '' });
          secrets.add(state);
          const callbackUrl = await world.codeFor(authorizationUrl, account, APP_CALLBACK);
          secrets.add(new URL(callbackUrl).searchParams.get('code') ?? '');
          const request = { provider: 'oidc', callbackUrl, ttlSeconds: 0, includeUser: false, accessToken: '' };
          const results = await Promise.allSettled([other.completeExternalLogin(request), client.completeExternalLogin(request)]);
          const won = results.filter((r) => r.status === 'fulfilled');
          assert.equal(won.length, 1);
          const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          assert.equal(errorDetails(lost?.reason as ServiceError).reason, 'INVALID_STATE');
          const token = (won[0] as PromiseFulfilledResult<{ accessToken?: { id: string } }>).value.accessToken?.id ?? '';
          secrets.add(token);
          const replicaLog = replica.output.join('\n');
          for (const secret of [state, token, new URL(callbackUrl).searchParams.get('code') ?? '']) assert.ok(!replicaLog.includes(secret));
        } finally {
          other.close();
          assert.equal(await replica.stop(), 0);
        }
      });
    }

    if (storeName === 'embedded') {
      it("runs the README's grpcurl walk-through (reflection only, no proto files)", async () => {
        const call = async (method: string, data: object, headers: string[] = []) => {
          const result = await grpcurl(server.grpcAddress, [`auth.v1.AuthService/${method}`], data, headers);
          assert.equal(result.code, 0, `${method}: ${result.stderr}`);
          return JSON.parse(result.stdout) as Record<string, unknown>;
        };
        const account = world.provider.addAccount({ email: newEmail(), email_verified: true, name: 'Ada Lovelace' });
        const begun = await call('StartExternalLogin', { provider: 'oidc', redirect_uri: APP_CALLBACK });
        const callbackUrl = await world.codeFor(String(begun.authorizationUrl), account, APP_CALLBACK);
        secrets.add(new URL(callbackUrl).searchParams.get('code') ?? '');
        const login = (await call('CompleteExternalLogin', { provider: 'oidc', callback_url: callbackUrl, include_user: true })) as {
          accessToken: { id: string };
          user: { emailVerified: boolean };
        };
        secrets.add(login.accessToken.id);
        assert.equal(login.user.emailVerified, true);
        const listed = (await call('ListExternalIdentities', {}, [`authorization: Bearer ${login.accessToken.id}`])) as { identities: Array<{ subject: string; profile: Record<string, string> }> };
        assert.deepEqual(listed.identities.map((i) => [i.subject, i.profile.name]), [[account, 'Ada Lovelace']]);
      });
    }

    describe('REST (LoopBack-style /auth/{provider})', () => {
      it('logs in and sends the browser to the success URL with the token in the fragment', async () => {
        const email = newEmail();
        const browser = new Browser();
        const landed = await browser.walk(`${server.httpUrl}/auth/oidc`, SUCCESS_URL, { login: world.provider.addAccount({ email, email_verified: true }), password: 'any' });
        const fragment = new URLSearchParams(new URL(landed).hash.slice(1));
        const token = fragment.get('access_token') ?? '';
        secrets.add(token);
        assert.match(token, /^[0-9A-Za-z]{64}$/);
        assert.equal(fragment.get('ttl'), '1209600');
        const validated = (await (await fetch(`${server.httpUrl}/api/tokens/validate?include=user`, { method: 'POST', headers: { authorization: token } })).json()) as {
          active: boolean;
          user: { email: string };
        };
        assert.equal(validated.active, true);
        assert.equal(validated.user.email, email);
        // The cookie that tied the login to this browser was set for the callback only, and cleared.
        const start = browser.history[0];
        assert.equal(start?.status, 302);
        assert.ok(start?.location?.startsWith(world.provider.issuer));
        assert.equal(browser.cookie(server.httpUrl, 'auth_login_oidc'), undefined);
        for (const step of browser.history) if (step.url.includes('/callback')) secrets.add(new URL(step.url).searchParams.get('code') ?? '');
      });

      it('answers JSON to a caller that asks for it', async () => {
        const browser = new Browser();
        const account = world.provider.addAccount({ email: newEmail(), email_verified: true });
        const callback = await browser.walk(`${server.httpUrl}/auth/oidc`, `${server.httpUrl}/auth/oidc/callback`, { login: account, password: 'any' });
        const response = await browser.request(callback, { headers: { accept: 'application/json' } });
        assert.equal(response.status, 200);
        const body = (await response.json()) as Record<string, string>;
        secrets.add(body.id ?? '');
        assert.deepEqual(Object.keys(body).sort(), ['created', 'id', 'ttl', 'userId']);
      });

      it('refuses a callback from a browser that did not begin the login, and sends failures to the failure URL', async () => {
        const account = world.provider.addAccount({ email: newEmail(), email_verified: true });
        const victim = new Browser();
        const callback = await victim.walk(`${server.httpUrl}/auth/oidc`, `${server.httpUrl}/auth/oidc/callback`, { login: account, password: 'any' });
        secrets.add(new URL(callback).searchParams.get('code') ?? '');
        const attacker = new Browser();
        const answer = await attacker.request(callback);
        assert.equal(answer.status, 302);
        assert.equal(answer.headers.get('location'), `${FAILURE_URL}?error=INVALID_STATE`);
        // The state is used up: the right browser cannot finish it either.
        const late = await victim.request(callback, { headers: { accept: 'application/json' } });
        assert.equal(late.status, 400);
        assert.equal(await errorCode(late), 'INVALID_STATE');
      });

      it('sends the browser to an allowed returnTo, and refuses one at another origin', async () => {
        const account = world.provider.addAccount({ email: newEmail(), email_verified: true });
        const start = `${server.httpUrl}/auth/oidc?returnTo=${encodeURIComponent(`${SHOP}/cart?id=7`)}`;
        const landed = await new Browser().walk(start, SHOP, { login: account, password: 'any' });
        assert.ok(landed.startsWith(`${SHOP}/cart?id=7#access_token=`), landed);
        secrets.add(new URLSearchParams(new URL(landed).hash.slice(1)).get('access_token') ?? '');
        for (const returnTo of ['https://evil.example.com/', 'http://shop.test.evil.example.com/', '//evil.example.com', 'javascript:alert(1)']) {
          const answer = await fetch(`${server.httpUrl}/auth/oidc?returnTo=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
          assert.equal(answer.status, 400, returnTo);
          assert.equal(await errorCode(answer), 'INVALID_REDIRECT');
        }
      });

      it('answers 404 for an unknown provider and 409 for an identity conflict', async () => {
        const unknown = await fetch(`${server.httpUrl}/auth/nope`, { redirect: 'manual' });
        assert.equal(unknown.status, 404);
        assert.equal(await errorCode(unknown), 'UNKNOWN_PROVIDER');
        for (const path of ['/auth/nope/callback?state=x', '/auth/no%20pe/callback?state=x', '/auth/%3Bx=1/callback', '/auth/NO(PE)']) {
          const answer = await fetch(`${server.httpUrl}${path}`, { redirect: 'manual', headers: { accept: 'application/json' } });
          assert.equal(answer.status, path.startsWith('/auth/nope/') ? 404 : 400, path);
        }
        const email = newEmail();
        await client.createUser({ email, username: '', password: 'a good password', realm: '' });
        const browser = new Browser();
        const callback = await browser.walk(`${server.httpUrl}/auth/strict`, `${server.httpUrl}/auth/strict/callback`, {
          login: world.provider.addAccount({ email, email_verified: true }),
          password: 'any',
        });
        const conflict = await browser.request(callback, { headers: { accept: 'application/json' } });
        assert.equal(conflict.status, 409);
        assert.equal(await errorCode(conflict), 'IDENTITY_CONFLICT');
      });
    });

    it('counts logins by method and provider, and never logs or counts a code, state, token or ID token', async () => {
      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      assert.match(metrics, /^auth_logins_total\{outcome="success",method="external",provider="oidc"\} [1-9]\d*$/m);
      assert.match(metrics, /^auth_logins_total\{outcome="success",method="external",provider="github"\} [1-9]\d*$/m);
      assert.match(metrics, /^auth_logins_total\{outcome="success",method="id-token",provider="oidc"\} [1-9]\d*$/m);
      assert.match(metrics, /^auth_logins_total\{outcome="failure",method="external",provider="oidc"\} [1-9]\d*$/m);
      assert.doesNotMatch(metrics, /provider="nope"/);
      const seen = [...secrets].filter((secret) => secret.length >= 16);
      assert.ok(seen.length >= 10, `collected ${seen.length} secrets`);
      const output = `${server.output.join('\n')}\n${metrics}`;
      for (const secret of seen) assert.ok(!output.includes(secret), 'a secret reached the logs or metrics');
    });
  });
}

describeExternalLogin('embedded', async () => ({ env: {}, stop: async () => undefined }));
describeExternalLogin('MongoDB', async () => {
  const mongo = await startMongo();
  return { env: { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName }, stop: () => mongo.stop() };
});
