import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { importJWK, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { pino } from 'pino';
import { createIdentityProviders } from '../../src/adapters/identity-providers/index.js';
import { createAuthCore, type AuthCore } from '../../src/core/auth-core.js';
import type { LoginStateRecord, LoginStateStore } from '../../src/storage/login-states/port.js';
import { loadIdentityProviders } from '../../src/identity-providers-config.js';
import { APP_CALLBACK, startExternalWorld, type ExternalWorld } from '../support/external-providers.js';
import { signingKey, type SigningKey } from '../support/oidc-provider.js';
import { createTestService, type ServiceFixture } from '../support/service.js';

/**
 * External logins through the use cases, on the in-memory store, against a real OpenID provider
 * (oidc-provider on loopback): the flows, and each bad input the service must refuse with a clear
 * error and nothing created. The same flows through both transports and both stores are in
 * test/e2e/external-login.test.ts.
 */

let world: ExternalWorld;
before(async () => {
  world = await startExternalWorld();
});
after(async () => {
  await world.stop();
});

/** The in-memory login states, keeping a copy of each one inserted so that a test can replay a login exactly. */
class RecordedLoginStates implements LoginStateStore {
  readonly inserted: LoginStateRecord[] = [];
  constructor(private readonly store: LoginStateStore) {}
  insert(state: LoginStateRecord): Promise<void> {
    this.inserted.push(state);
    return this.store.insert(state);
  }
  take(stateHash: string): Promise<LoginStateRecord | undefined> {
    return this.store.take(stateHash);
  }
}

interface Setup {
  core: AuthCore;
  fixture: ServiceFixture;
  loginStates: RecordedLoginStates;
  /** What the service logged. */
  logs: Array<Record<string, unknown>>;
}

async function setup(policy: { signupOpen?: boolean } = {}): Promise<Setup> {
  const settings = loadIdentityProviders(world.providersFile, { env: world.env, production: false, publicUrl: undefined });
  const fixture = await createTestService(policy);
  fixture.clock.time = Date.now();
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  // No cooldown between key set fetches, so that a rotation is seen at once (30 s in service).
  const providers = createIdentityProviders(settings.providers, { timeoutMs: 1000, logger, jwksCooldownMs: 0 });
  const loginStates = new RecordedLoginStates(fixture.context.loginStates);
  return { core: createAuthCore({ ...fixture.context, loginStates, logger, providers }), fixture, loginStates, logs };
}

/** Rejects with an AuthError of that code. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: { code?: string; message?: string }) => {
    assert.equal(err.code, code, err.message);
    return true;
  });
}

const app = { kind: 'app' } as const;

/** Begins a login and walks the provider's pages as the account; the URL the browser comes back to. */
async function browserLogin(core: AuthCore, provider: string, account: string, realm = ''): Promise<string> {
  const { authorizationUrl } = await core.startExternalLogin({ provider, redirectUri: APP_CALLBACK, realm });
  return world.codeFor(authorizationUrl, account, APP_CALLBACK);
}

async function login(core: AuthCore, provider: string, account: string) {
  return core.completeExternalLogin({ provider, callbackUrl: await browserLogin(core, provider, account), caller: app, includeUser: true });
}

/** Everything the store holds of a person by email: the user and its identities. */
async function accountOf({ fixture }: Setup, email: string) {
  const user = await fixture.store.users.findByEmail('', email);
  return { user, identities: user ? await fixture.store.identities.listByUser(user.id) : [] };
}

let emails = 0;
const newEmail = () => `person${++emails}-${Date.now()}@example.com`;

describe('external login: the code flow', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  it('creates an account without a password at the first login, and finds it at the next', async () => {
    const email = newEmail();
    const account = world.provider.addAccount({ email, email_verified: true, name: 'Ann Example' });
    const first = await login(s.core, 'oidc', account);
    assert.equal(first.user?.email, email);
    assert.equal(first.user?.emailVerified, true);
    const { user, identities } = await accountOf(s, email);
    assert.equal(user?.passwordHash, undefined);
    assert.deepEqual(
      identities.map(({ provider, subject, email: e, emailVerified, profile }) => ({ provider, subject, email: e, emailVerified, profile })),
      [{ provider: 'oidc', subject: account, email, emailVerified: true, profile: { name: 'Ann Example' } }],
    );
    assert.equal((await s.core.validateToken({ accessToken: first.token.id })).active, true);

    s.fixture.clock.advance(60_000);
    const second = await login(s.core, 'oidc', account);
    assert.equal(second.token.userId, first.token.userId);
    assert.equal((await accountOf(s, email)).identities[0]?.lastLogin.getTime(), s.fixture.clock.time);
    // No password: a password login fails as a wrong one does, and so does ChangePassword's check,
    // until a reset sets one.
    await rejectsWith(s.core.login({ email, password: 'any password at all' }), 'LOGIN_FAILED');
    await rejectsWith(s.core.changePassword(first.token.id, 'any password at all', 'a new password'), 'INVALID_PASSWORD');
    await s.core.resetPassword(email);
    await s.core.setPassword(s.fixture.notifier.last().token, 'a new password');
    assert.equal((await s.core.login({ email, password: 'a new password' })).token.userId, first.token.userId);
  });

  it('reads a plain OAuth 2.0 provider through its claim mapping (a numeric id, as GitHub)', async () => {
    const email = newEmail();
    const account = world.provider.addAccount({ email, name: 'Octo Cat' });
    const result = await login(s.core, 'github', account);
    const [identity] = (await accountOf(s, email)).identities;
    assert.equal(identity?.provider, 'github');
    assert.match(identity?.subject ?? '', /^\d+$/);
    assert.deepEqual(identity?.profile, { name: 'Octo Cat' });
    assert.equal(identity?.emailVerified, false);
    assert.equal(result.user?.emailVerified, false);
  });

  it('links to the account with the same email when the provider says it is verified and may link by it', async () => {
    const email = newEmail();
    const created = await s.core.createUser({ email, password: 'a good password' });
    const account = world.provider.addAccount({ email, email_verified: true });
    const result = await login(s.core, 'oidc', account);
    assert.equal(result.token.userId, created.id);
    assert.equal((await accountOf(s, email)).identities.length, 1);
    // The password still works.
    await s.core.login({ email, password: 'a good password' });
  });

  it('refuses an unverified email, or a provider not allowed to link by email, with IDENTITY_CONFLICT and nothing created', async () => {
    const email = newEmail();
    await s.core.createUser({ email, password: 'a good password' });
    const unverified = world.provider.addAccount({ email, email_verified: false });
    await rejectsWith(login(s.core, 'oidc', unverified), 'IDENTITY_CONFLICT');
    const verified = world.provider.addAccount({ email, email_verified: true });
    await rejectsWith(login(s.core, 'strict', verified), 'IDENTITY_CONFLICT');
    await rejectsWith(login(s.core, 'github', world.provider.addAccount({ email })), 'IDENTITY_CONFLICT');
    assert.deepEqual((await accountOf(s, email)).identities, []);
  });

  it('needs an email to make an account, and open sign-up', async () => {
    await rejectsWith(login(s.core, 'oidc', world.provider.addAccount({ name: 'No Mail' })), 'EXTERNAL_EMAIL_REQUIRED');
    const closed = await setup({ signupOpen: false });
    const email = newEmail();
    await rejectsWith(login(closed.core, 'oidc', world.provider.addAccount({ email, email_verified: true })), 'SIGNUP_CLOSED');
    assert.equal((await accountOf(closed, email)).user, undefined);
  });

  it('with sign-up closed, still logs into and links to accounts that exist', async () => {
    const closed = await setup({ signupOpen: false });
    const email = newEmail();
    // An account made before sign-up closed (or imported).
    const existing = { id: 'a1'.repeat(12), realm: '', email, username: undefined, passwordHash: undefined, passwordChangedAt: undefined, disabled: false, emailVerified: false, created: new Date() };
    await closed.fixture.store.users.create(existing);
    const account = world.provider.addAccount({ email, email_verified: true });
    const first = await login(closed.core, 'oidc', account);
    assert.equal(first.token.userId, existing.id);
    assert.equal((await login(closed.core, 'oidc', account)).token.userId, existing.id);
    const { authorizationUrl } = await closed.core.linkExternalIdentity(first.token.id, 'github', APP_CALLBACK);
    const callbackUrl = await world.codeFor(authorizationUrl, world.provider.addAccount({ email: newEmail() }), APP_CALLBACK);
    await closed.core.completeExternalLogin({ provider: 'github', callbackUrl, caller: app, accessToken: first.token.id });
    assert.deepEqual((await accountOf(closed, email)).identities.map((i) => i.provider), ['oidc', 'github']);
  });

  it("normalizes the provider's email as every email here, and takes none that hides characters", async () => {
    const created = await s.core.createUser({ email: `mixed.case${++emails}@example.com`, password: 'a good password' });
    // Full-width letters and another case: the same address, so a verified one links to that account.
    const sameAddress = world.provider.addAccount({ email: `ＭＩＸＥＤ.Case${emails}@EXAMPLE.com`, email_verified: true });
    assert.equal((await login(s.core, 'oidc', sameAddress)).token.userId, created.id);
    const fresh = `Fresh.Person${++emails}@Example.COM`;
    const made = await login(s.core, 'oidc', world.provider.addAccount({ email: fresh, email_verified: true }));
    assert.equal(made.user?.email, fresh.toLowerCase());
    // A zero-width space makes no address: no account is made from it, nor linked by it.
    const hidden = `hid\u200Bden${++emails}@example.com`;
    await rejectsWith(login(s.core, 'oidc', world.provider.addAccount({ email: hidden, email_verified: true })), 'EXTERNAL_EMAIL_REQUIRED');
    assert.equal(await s.fixture.store.users.findByEmail('', hidden.replace('\u200B', '')), undefined);
  });

  it('locks password guesses at an account without a password as at any other, and leaves its external login open', async () => {
    const email = newEmail();
    const account = world.provider.addAccount({ email, email_verified: true });
    const first = await login(s.core, 'oidc', account);
    for (let i = 0; i < s.fixture.context.policy.loginMaxFailures; i++) {
      await rejectsWith(s.core.login({ email, password: `guess number ${i}` }), 'LOGIN_FAILED');
    }
    await rejectsWith(s.core.login({ email, password: 'one guess more' }), 'TOO_MANY_ATTEMPTS');
    assert.equal((await login(s.core, 'oidc', account)).token.userId, first.token.userId);
  });

  it('gives a disabled account no session through a provider either, and one again once enabled', async () => {
    const email = newEmail();
    const account = world.provider.addAccount({ email, email_verified: true });
    const first = await login(s.core, 'oidc', account);
    await s.fixture.store.users.update(first.token.userId, { disabled: true });
    await rejectsWith(login(s.core, 'oidc', account), 'LOGIN_FAILED');
    assert.equal((await s.fixture.store.tokens.listByUser(first.token.userId)).length, 1, 'the refused login left no token behind');
    await s.fixture.store.users.update(first.token.userId, { disabled: false });
    assert.equal((await login(s.core, 'oidc', account)).token.userId, first.token.userId);
  });

  it('keeps an identity to its realm', async () => {
    const account = world.provider.addAccount({ email: newEmail(), email_verified: true });
    await login(s.core, 'oidc', account);
    const callback = await browserLogin(s.core, 'oidc', account, 'other-realm');
    await rejectsWith(s.core.completeExternalLogin({ provider: 'oidc', callbackUrl: callback, caller: app }), 'IDENTITY_CONFLICT');
  });
});

describe('external login: linking and unlinking', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  async function passwordUser() {
    const email = newEmail();
    await s.core.createUser({ email, password: 'a good password' });
    const { token } = await s.core.login({ email, password: 'a good password' });
    return { email, token: token.id, userId: token.userId };
  }

  async function link(token: string, provider: string, account: string, completeWith = token) {
    const { authorizationUrl } = await s.core.linkExternalIdentity(token, provider, APP_CALLBACK);
    const callbackUrl = await world.codeFor(authorizationUrl, account, APP_CALLBACK);
    return s.core.completeExternalLogin({ provider, callbackUrl, caller: app, accessToken: completeWith });
  }

  it('links identities to a signed-in user, whatever their email, lists and unlinks them', async () => {
    const me = await passwordUser();
    const google = world.provider.addAccount({ email: 'elsewhere@example.org', email_verified: false });
    const result = await link(me.token, 'oidc', google);
    assert.equal(result.token.userId, me.userId);
    await link(me.token, 'github', world.provider.addAccount({ email: newEmail() }));
    const listed = await s.core.listExternalIdentities(me.token);
    assert.deepEqual(listed.map((i) => i.provider), ['oidc', 'github']);
    assert.equal(listed[0]?.email, 'elsewhere@example.org');
    // Linked: the identity now logs into this account.
    assert.equal((await login(s.core, 'oidc', google)).token.userId, me.userId);

    await s.core.unlinkExternalIdentity(me.token, 'oidc', google);
    await s.core.unlinkExternalIdentity(me.token, 'github', listed[1]?.subject ?? '');
    assert.deepEqual(await s.core.listExternalIdentities(me.token), []);
    await rejectsWith(s.core.unlinkExternalIdentity(me.token, 'oidc', google), 'IDENTITY_NOT_FOUND');
  });

  it("needs the same user's token to finish a link, and refuses an identity linked to someone else", async () => {
    const me = await passwordUser();
    const other = await passwordUser();
    const account = world.provider.addAccount({ email: newEmail(), email_verified: true });
    await rejectsWith(link(me.token, 'oidc', account, ''), 'INVALID_TOKEN');
    await rejectsWith(link(me.token, 'oidc', account, other.token), 'INVALID_TOKEN');
    assert.deepEqual(await s.core.listExternalIdentities(me.token), []);
    await link(other.token, 'oidc', account);
    await rejectsWith(link(me.token, 'oidc', account), 'IDENTITY_CONFLICT');
    await rejectsWith(s.core.linkExternalIdentity('not a token', 'oidc', APP_CALLBACK), 'INVALID_TOKEN');
  });

  it('deletes the identities with their user, after which the identity is free to make an account', async () => {
    const me = await passwordUser();
    const account = world.provider.addAccount({ email: newEmail(), email_verified: true });
    await link(me.token, 'oidc', account);
    assert.equal(await s.core.deleteUser(me.token, me.userId), 1);
    assert.deepEqual(await s.fixture.store.identities.listByUser(me.userId), []);
    assert.equal(await s.fixture.store.identities.find('oidc', account), undefined);
    const again = await login(s.core, 'oidc', account);
    assert.notEqual(again.token.userId, me.userId);
  });

  it('refuses to unlink the last way into an account without a password', async () => {
    const account = world.provider.addAccount({ email: newEmail(), email_verified: true });
    const { token } = await login(s.core, 'oidc', account);
    await rejectsWith(s.core.unlinkExternalIdentity(token.id, 'oidc', account), 'LAST_LOGIN_METHOD');
    await link(token.id, 'github', world.provider.addAccount({ email: newEmail() }));
    await s.core.unlinkExternalIdentity(token.id, 'oidc', account);
    assert.deepEqual((await s.core.listExternalIdentities(token.id)).map((i) => i.provider), ['github']);
    const [github] = await s.core.listExternalIdentities(token.id);
    await rejectsWith(s.core.unlinkExternalIdentity(token.id, 'github', github?.subject ?? ''), 'LAST_LOGIN_METHOD');
  });
});

describe('external login: bad state, codes and callbacks', () => {
  let s: Setup;
  let account: string;
  let email: string;
  beforeEach(async () => {
    s = await setup();
    email = newEmail();
    account = world.provider.addAccount({ email, email_verified: true });
  });

  const complete = (callbackUrl: string, provider = 'oidc') => s.core.completeExternalLogin({ provider, callbackUrl, caller: app });
  const withQuery = (url: string, change: (query: URLSearchParams) => void) => {
    const parsed = new URL(url);
    change(parsed.searchParams);
    return parsed.href;
  };

  it('refuses an unknown provider and a redirect URI the provider does not have', async () => {
    await rejectsWith(s.core.startExternalLogin({ provider: 'nope', redirectUri: APP_CALLBACK }), 'UNKNOWN_PROVIDER');
    await rejectsWith(s.core.startExternalLogin({ provider: '__proto__', redirectUri: APP_CALLBACK }), 'UNKNOWN_PROVIDER');
    await rejectsWith(complete(`${APP_CALLBACK}?code=x&state=y`, 'nope'), 'UNKNOWN_PROVIDER');
    await rejectsWith(s.core.exchangeIdToken({ provider: 'nope', idToken: 'x' }), 'UNKNOWN_PROVIDER');
    await rejectsWith(s.core.startExternalLogin({ provider: 'oidc', redirectUri: 'https://evil.example.com/cb' }), 'INVALID_REDIRECT');
  });

  it('refuses a missing, wrong, reused, expired or misdirected state, and a callback that is not a URL', async () => {
    const callback = await browserLogin(s.core, 'oidc', account);
    await rejectsWith(complete(withQuery(callback, (q) => q.delete('state'))), 'INVALID_STATE');
    await rejectsWith(complete(withQuery(callback, (q) => q.set('state', 'guessed'))), 'INVALID_STATE');
    await rejectsWith(complete('not a url'), 'INVALID_ARGUMENT');
    await complete(callback);
    await rejectsWith(complete(callback), 'INVALID_STATE');

    const late = await browserLogin(s.core, 'oidc', account);
    s.fixture.clock.advance(10 * 60_000);
    await rejectsWith(complete(late), 'INVALID_STATE');

    const misdirected = await browserLogin(s.core, 'oidc', account);
    await rejectsWith(complete(misdirected, 'strict'), 'INVALID_STATE');
    await rejectsWith(s.core.completeExternalLogin({ provider: 'oidc', callbackUrl: await browserLogin(s.core, 'oidc', account), caller: { kind: 'browser', binding: 'x' } }), 'INVALID_STATE');
  });

  it('refuses a replayed code, a code issued to another client, and a denied login, with nothing created', async () => {
    const refusedGrants = () => s.logs.filter((line) => line.oauthError === 'invalid_grant').length;

    // The first login's exact state put back after it completed: only the code's reuse is wrong.
    const first = await browserLogin(s.core, 'oidc', account);
    const kept = s.loginStates.inserted.at(-1);
    assert.ok(kept);
    await complete(first);
    await s.loginStates.insert(kept);
    await rejectsWith(complete(first), 'EXTERNAL_LOGIN_FAILED');
    assert.equal(refusedGrants(), 1);

    // Another client's code, made with our login's own PKCE challenge: only the client is wrong.
    const strangerEmail = newEmail();
    const stranger = world.provider.addAccount({ email: strangerEmail, email_verified: true });
    const ours = await browserLogin(s.core, 'oidc', stranger);
    const verifier = s.loginStates.inserted.at(-1)?.codeVerifier ?? '';
    const foreign = await world.codeFor(await world.otherClientAuthorizationUrl(verifier), stranger, APP_CALLBACK);
    await rejectsWith(complete(withQuery(ours, (q) => q.set('code', new URL(foreign).searchParams.get('code') ?? ''))), 'EXTERNAL_LOGIN_FAILED');
    assert.equal(refusedGrants(), 2);

    const denied = await browserLogin(s.core, 'oidc', stranger);
    await rejectsWith(
      complete(withQuery(denied, (q) => {
        q.delete('code');
        q.set('error', 'access_denied');
      })),
      'EXTERNAL_LOGIN_FAILED',
    );
    assert.deepEqual(await accountOf(s, strangerEmail), { user: undefined, identities: [] });
    // Logs name what failed, never the code or the state.
    const logged = JSON.stringify(s.logs);
    for (const secret of [new URL(first).searchParams.get('code'), new URL(foreign).searchParams.get('code'), new URL(first).searchParams.get('state')]) {
      assert.ok(secret && !logged.includes(secret));
    }
  });

  it('answers PROVIDER_UNAVAILABLE for a provider that is down or never answers', async () => {
    await rejectsWith(s.core.startExternalLogin({ provider: 'down', redirectUri: APP_CALLBACK }), 'PROVIDER_UNAVAILABLE');
    await rejectsWith(s.core.startExternalLogin({ provider: 'slow', redirectUri: APP_CALLBACK }), 'PROVIDER_UNAVAILABLE');
    await rejectsWith(s.core.exchangeIdToken({ provider: 'slow', idToken: 'x.y.z' }), 'PROVIDER_UNAVAILABLE');
  });
});

describe('external login: ID token exchange', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  /** A token signed as the provider would sign it, with the given changes. */
  async function idToken(claims: JWTPayload, options: { key?: SigningKey; header?: Record<string, unknown> } = {}): Promise<string> {
    const key = options.key ?? world.provider.keys[0];
    assert.ok(key);
    const now = Math.floor(s.fixture.clock.time / 1000);
    return new SignJWT({ iss: world.provider.issuer, aud: 'mobile-app', iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, ...options.header })
      .sign(await importJWK(key.privateJwk, 'RS256'));
  }

  it('logs in with an ID token from the provider, as the code flow does', async () => {
    const email = newEmail();
    const account = world.provider.addAccount({ email, email_verified: true, name: 'Mo Bile' });
    const token = await world.mobileIdToken(account, 'nonce-1');
    const result = await s.core.exchangeIdToken({ provider: 'oidc', idToken: token, nonce: 'nonce-1', includeUser: true });
    assert.equal(result.user?.email, email);
    // The browser flow reaches the same account.
    assert.equal((await login(s.core, 'oidc', account)).token.userId, result.token.userId);
    // Without a nonce to compare, the token's own is not checked.
    await s.core.exchangeIdToken({ provider: 'oidc', idToken: token });
  });

  it('refuses, with INVALID_ID_TOKEN and nothing created, every token that fails a check', async () => {
    const email = newEmail();
    const claims = { sub: 'crafted-subject', email, email_verified: true, nonce: 'n' };
    const now = Math.floor(s.fixture.clock.time / 1000);
    const good = await idToken(claims);
    const [header, payload, signature] = good.split('.');
    const flipped = `${signature?.startsWith('A') ? 'B' : 'A'}${signature?.slice(1)}`;
    // Each case, and what the service logged as the reason (a jose error code, or the claim that failed).
    const cases: Array<[string, string | Promise<string>, string, string?]> = [
      ['wrong aud', idToken({ ...claims, aud: 'someone-else' }), 'claim aud'],
      ['wrong iss', idToken({ ...claims, iss: 'https://evil.example.com' }), 'claim iss'],
      ['expired', idToken({ ...claims, iat: now - 3600, exp: now - 60 }), 'ERR_JWT_EXPIRED'],
      ['issued in the future', idToken({ ...claims, iat: now + 600, exp: now + 900 }), 'claim iat'],
      ['issued more than a day ago', idToken({ ...claims, iat: now - 2 * 86400, exp: now + 60 }), 'ERR_JWT_EXPIRED'],
      ['badly signed', `${header}.${payload}.${flipped}`, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
      [
        'payload changed',
        `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else', iss: world.provider.issuer, aud: 'mobile-app', iat: now, exp: now + 300 })).toString('base64url')}.${signature}`,
        'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      ],
      ['alg none', new UnsecuredJWT({ ...claims, iss: world.provider.issuer, aud: 'mobile-app', iat: now, exp: now + 300 }).encode(), 'ERR_JOSE_ALG_NOT_ALLOWED'],
      ['signed by a key not in the JWKS', signingKey().then((key) => idToken(claims, { key })), 'ERR_JWKS_NO_MATCHING_KEY'],
      [
        'HS256 with the client secret',
        new SignJWT({ ...claims, iss: world.provider.issuer, aud: 'auth-service', iat: now, exp: now + 300 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('service-secret-0123456789')),
        'ERR_JOSE_ALG_NOT_ALLOWED',
      ],
      ['azp of another client', idToken({ ...claims, azp: 'other' }), 'azp is not our client'],
      ['nonce mismatch', good, 'nonce mismatch', 'other-nonce'],
      ['not a JWT', 'not.a.jwt', 'ERR_JWS_INVALID'],
    ];
    for (const [name, token, reason, nonce = 'n'] of cases) {
      await assert.rejects(s.core.exchangeIdToken({ provider: 'oidc', idToken: await token, nonce }), (err: { code?: string }) => {
        assert.equal(err.code, 'INVALID_ID_TOKEN', name);
        return true;
      });
      const line = s.logs.at(-1) ?? {};
      const logged = line.claim ? `claim ${String(line.claim)}` : String(line.reason ?? line.code);
      assert.equal(logged, reason, name);
    }
    assert.deepEqual(await accountOf(s, email), { user: undefined, identities: [] });
    // The same claims, correctly signed, pass: each case above failed for its own reason.
    assert.equal((await s.core.exchangeIdToken({ provider: 'oidc', idToken: good, nonce: 'n', includeUser: true })).user?.email, email);
  });

  it('follows a key rotation: a token signed with a new key verifies once the provider publishes it', async () => {
    const old = world.provider.keys[0];
    assert.ok(old);
    const email = newEmail();
    await s.core.exchangeIdToken({ provider: 'oidc', idToken: await idToken({ sub: 'rotating', email, email_verified: true }) });
    const fresh = await signingKey();
    await world.provider.rotate([fresh, old]);
    const result = await s.core.exchangeIdToken({ provider: 'oidc', idToken: await idToken({ sub: 'rotating', email, email_verified: true }, { key: fresh }) });
    assert.equal(result.token.userId, (await accountOf(s, email)).user?.id);
  });

  it('refuses a plain OAuth 2.0 provider, which has no ID tokens', async () => {
    await rejectsWith(s.core.exchangeIdToken({ provider: 'github', idToken: 'x.y.z' }), 'INVALID_ARGUMENT');
  });
});
