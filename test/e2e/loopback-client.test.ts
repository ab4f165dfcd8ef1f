/**
 * The REST gateway driven by LoopBack 3's own REST client (loopback-connector-remote over
 * strong-remoting, installed under bench/loopback), as a LoopBack app that consumes a remote User
 * model would call it: create, login, reset, logout with the token in each form of the client's
 * `remotes.auth`, and the owner's User routes. Against the built server process, embedded store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loopBackClient, type LoopBackClient, type RemoteAccessToken, type RemoteAuth, type RemoteError } from '../support/loopback-client.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { startWebhookReceiver } from '../support/webhook.js';

const PASSWORD = 'correct horse 1';

/** Asserts that a client call fails with LoopBack's error of that status and code. */
async function rejectsWith(call: Promise<unknown>, statusCode: number, code: string): Promise<void> {
  await assert.rejects(call, (err: RemoteError) => {
    assert.equal(err.statusCode, statusCode, err.message);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe('LoopBack 3 REST client (loopback-connector-remote) against the gateway', () => {
  let server: ServerProcess;
  let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let client: LoopBackClient;
  let users = 0;

  before(async () => {
    webhook = await startWebhookReceiver();
    server = await startServer({ RESET_WEBHOOK_URL: webhook.url, RESET_WEBHOOK_SECRET: 'loopback-client-test' });
    client = loopBackClient(`${server.httpUrl}/api`);
  });

  after(async () => {
    await server?.stop('SIGKILL');
    await webhook?.close();
  });

  const newEmail = () => `lb-client-${++users}@example.com`;

  async function signedUp(): Promise<{ email: string; id: string }> {
    client.authenticate(undefined);
    const email = newEmail();
    const user = await client.User.create({ email, password: PASSWORD });
    return { email, id: user.id };
  }

  async function loggedIn(email: string, ttl?: number): Promise<RemoteAccessToken> {
    client.authenticate(undefined);
    return client.User.login(ttl === undefined ? { email, password: PASSWORD } : { email, password: PASSWORD, ttl });
  }

  /** Whether the token still works, asked through the client itself. */
  async function isActive(token: string, userId: string): Promise<boolean> {
    client.authenticate({ accessToken: { id: token } });
    try {
      await client.User.findById(userId);
      return true;
    } catch (err) {
      assert.equal((err as RemoteError).statusCode, 401);
      return false;
    }
  }

  test('User.create answers the user in LoopBack shape; taken emails and short passwords are 422', async () => {
    client.authenticate(undefined);
    const email = newEmail();
    const user = await client.User.create({ email: email.toUpperCase(), password: PASSWORD, username: 'lb_client' });
    assert.match(user.id, /^[0-9a-f]{24}$/);
    // As JSON: the client's model lists its undefined properties (realm) too.
    const { created, ...rest } = JSON.parse(JSON.stringify(user)) as Record<string, unknown>;
    assert.deepEqual(rest, { id: user.id, email, username: 'lb_client', emailVerified: false });
    assert.equal(new Date(String(created)).toISOString(), created);
    await rejectsWith(client.User.create({ email, password: PASSWORD }), 422, 'EMAIL_EXISTS');
    await rejectsWith(client.User.create({ email: newEmail(), password: 'short' }), 422, 'PASSWORD_TOO_SHORT');
  });

  test('User.login with a ttl in seconds, and with include user as the client sends it (include[0]=user)', async () => {
    const { email, id } = await signedUp();
    const token = await loggedIn(email, 3600);
    assert.match(token.id, /^[0-9A-Za-z]{64}$/);
    assert.equal(token.ttl, 3600);
    assert.equal(token.userId, id);
    assert.equal(token.user, undefined);
    const withUser = await client.User.login({ email, password: PASSWORD }, ['user']);
    assert.equal(withUser.ttl, 1209600);
    assert.equal(withUser.user?.id, id);
    assert.equal(withUser.user?.email, email);
  });

  test('User.login failures carry LoopBack codes', async () => {
    const { email } = await signedUp();
    await rejectsWith(client.User.login({ email, password: 'wrong password' }), 401, 'LOGIN_FAILED');
    await rejectsWith(client.User.login({ email: 'nobody@example.com', password: PASSWORD }), 401, 'LOGIN_FAILED');
    await rejectsWith(client.User.login({ password: PASSWORD }), 400, 'USERNAME_EMAIL_REQUIRED');
    await rejectsWith(client.User.login({ email: { $ne: null }, password: PASSWORD }), 400, 'INVALID_EMAIL');
    await rejectsWith(client.User.login({ email, password: PASSWORD, ttl: -5 }), 400, 'INVALID_TTL');
  });

  describe('User.logout with the token in each form of remotes.auth', () => {
    const forms: Array<[string, (token: string) => RemoteAuth]> = [
      ['accessToken (the Authorization header, raw)', (token) => ({ accessToken: { id: token } })],
      ['bearer, base64 as the connector documents, sent at once', (token) => ({ bearer: Buffer.from(token).toString('base64'), sendImmediately: true })],
      ['bearer, raw, sent at once', (token) => ({ bearer: token, sendImmediately: true })],
      ['bearer, base64, sent when challenged (the default)', (token) => ({ bearer: Buffer.from(token).toString('base64') })],
      ['basic, token as the password', (token) => ({ username: 'token', password: token, sendImmediately: true })],
      ['basic, token as the user name', (token) => ({ username: token, password: 'x', sendImmediately: true })],
    ];
    for (const [name, authFor] of forms) {
      test(name, async () => {
        const { email, id } = await signedUp();
        const token = await loggedIn(email);
        const other = await loggedIn(email);
        client.authenticate(authFor(token.id));
        await client.User.logout();
        // Logged out again with the same credentials: the token is gone.
        await rejectsWith(client.User.logout(), 401, 'INVALID_TOKEN');
        assert.equal(await isActive(token.id, id), false);
        assert.equal(await isActive(other.id, id), true, 'only the token used is revoked');
      });
    }

    test('basic credentials sent only when challenged are not sent: the challenge is Bearer', async () => {
      const { email, id } = await signedUp();
      const token = await loggedIn(email);
      client.authenticate({ username: token.id, password: 'x' });
      await rejectsWith(client.User.logout(), 401, 'INVALID_TOKEN');
      assert.equal(await isActive(token.id, id), true);
    });

    test('without credentials: 401 INVALID_TOKEN', async () => {
      client.authenticate(undefined);
      await rejectsWith(client.User.logout(), 401, 'INVALID_TOKEN');
    });
  });

  test('User.resetPassword, then User.setPassword with the delivered token, then login with the new password', async () => {
    const { email, id } = await signedUp();
    const session = await loggedIn(email);
    const delivered = webhook.deliveries.length;
    client.authenticate(undefined);
    await client.User.resetPassword({ email });
    const delivery = await webhook.waitFor(delivered + 1);
    assert.equal(delivery.body.userId, id);

    client.authenticate({ bearer: Buffer.from(delivery.body.token).toString('base64'), sendImmediately: true });
    await rejectsWith(client.User.setPassword(undefined, 'short'), 422, 'PASSWORD_TOO_SHORT');
    await client.User.setPassword(undefined, 'brand new secret 3');
    await rejectsWith(client.User.setPassword(undefined, 'brand new secret 4'), 401, 'INVALID_TOKEN');

    assert.equal(await isActive(session.id, id), false, 'a reset revokes every session');
    client.authenticate(undefined);
    await rejectsWith(client.User.login({ email, password: PASSWORD }), 401, 'LOGIN_FAILED');
    assert.equal((await client.User.login({ email, password: 'brand new secret 3' })).userId, id);
  });

  test('User.changePassword keeps the token used and revokes the others', async () => {
    const { email, id } = await signedUp();
    const used = await loggedIn(email);
    const other = await loggedIn(email);
    client.authenticate({ username: used.id, password: 'x', sendImmediately: true });
    await rejectsWith(client.User.changePassword(undefined, 'not the password', 'whatever 123'), 400, 'INVALID_PASSWORD');
    await client.User.changePassword(undefined, PASSWORD, 'battery staple 2');
    assert.equal(await isActive(used.id, id), true);
    assert.equal(await isActive(other.id, id), false);
  });

  test("findById, patchAttributes and deleteById on the owner's account; anyone else gets 401", async () => {
    const { email, id } = await signedUp();
    const stranger = await signedUp();
    const theirs = await loggedIn(stranger.email);
    const mine = await loggedIn(email);
    const other = await loggedIn(email);

    client.authenticate({ accessToken: { id: theirs.id } });
    await rejectsWith(client.User.findById(id), 401, 'AUTHORIZATION_REQUIRED');
    await rejectsWith(new client.User({ id }).patchAttributes({ username: 'taken_over' }), 401, 'AUTHORIZATION_REQUIRED');
    await rejectsWith(client.User.deleteById(id), 401, 'AUTHORIZATION_REQUIRED');

    client.authenticate({ bearer: Buffer.from(mine.id).toString('base64'), sendImmediately: true });
    assert.equal((await client.User.findById(id))?.email, email);
    const renamed = await new client.User({ id }).patchAttributes({ username: 'renamed_1' });
    assert.equal(renamed.username, 'renamed_1');
    assert.equal(await isActive(other.id, id), true, 'a new username keeps the sessions');

    client.authenticate({ bearer: Buffer.from(mine.id).toString('base64'), sendImmediately: true });
    await rejectsWith(new client.User({ id }).patchAttributes({ email: stranger.email }), 422, 'EMAIL_EXISTS');
    const moved = newEmail();
    assert.equal((await new client.User({ id }).patchAttributes({ email: moved })).email, moved);
    assert.equal(await isActive(other.id, id), false, 'a new email revokes the other sessions');
    assert.equal(await isActive(mine.id, id), true, 'but not the one used');

    client.authenticate({ accessToken: { id: mine.id } });
    assert.deepEqual(await client.User.deleteById(id), { count: 1 });
    assert.equal(await isActive(mine.id, id), false, "a deleted user's tokens go with it");
    client.authenticate(undefined);
    await rejectsWith(client.User.login({ email: moved, password: PASSWORD }), 401, 'LOGIN_FAILED');
  });
});
