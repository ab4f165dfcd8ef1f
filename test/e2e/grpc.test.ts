import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials, loadPackageDefinition, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { signBody } from '../../src/adapters/notifiers.js';
import { connect, errorDetails, type Client } from '../support/grpc-client.js';
import { startMongo } from '../support/mongo.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { startWebhookReceiver } from '../support/webhook.js';

const PASSWORD = 'correct horse battery';
const SECRET = 'webhook-test-secret';

/** Asserts a gRPC failure: its status and the ErrorInfo reason in auth.v1. */
async function rejectsWith(promise: Promise<unknown>, code: status, reason: string): Promise<void> {
  await assert.rejects(promise, (err: ServiceError) => {
    assert.equal(status[err.code], status[code], err.details);
    assert.deepEqual(
      { reason: errorDetails(err).reason, domain: errorDetails(err).domain },
      { reason, domain: 'auth.v1' },
    );
    return true;
  });
}

/** grpc.health.v1 Check through a client built from the health proto that grpc-health-check ships. */
function healthCheck(address: string, serviceName = ''): Promise<string> {
  const definition = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, creds: ChannelCredentials) => HealthClient } } };
  };
  const client = new definition.grpc.health.v1.Health(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.check({ service: serviceName }, (err, response) => {
      client.close();
      if (err) reject(err);
      else resolve(response.status);
    });
  });
}

interface HealthClient {
  check(request: { service: string }, callback: (err: ServiceError | null, response: { status: string }) => void): void;
  close(): void;
}

function describeGrpc(storeName: string, storeEnv: () => Promise<{ env: Record<string, string>; stop(): Promise<void> }>) {
  describe(`gRPC end to end (${storeName} store)`, () => {
    let server: ServerProcess;
    let client: Client;
    let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let database: { env: Record<string, string>; stop(): Promise<void> };
    let counter = 0;
    const email = () => `user${++counter}@example.com`;

    before(async () => {
      database = await storeEnv();
      webhook = await startWebhookReceiver();
      server = await startServer({ ...database.env, RESET_WEBHOOK_URL: webhook.url, RESET_WEBHOOK_SECRET: SECRET });
      client = connect(server.grpcAddress);
    });

    after(async () => {
      client.close();
      assert.equal(await server.stop(), 0);
      await webhook.close();
      await database.stop();
    });

    async function userWithSession(address = email()) {
      const { user } = await client.createUser({ email: address, username: '', password: PASSWORD, realm: '' });
      const { accessToken } = await client.login({ email: address, username: '', password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: false });
      assert.ok(user && accessToken);
      return { user, token: accessToken.id, email: address };
    }

    it('reports SERVING on grpc.health.v1', async () => {
      assert.equal(await healthCheck(server.grpcAddress), 'SERVING');
      assert.equal(await healthCheck(server.grpcAddress, 'auth.v1.AuthService'), 'SERVING');
    });

    it('creates a user and logs in by email and by username', async () => {
      const address = email();
      const { user } = await client.createUser({ email: ` ${address.toUpperCase()} `, username: `name${counter}`, password: PASSWORD, realm: '' });
      assert.equal(user?.email, address);
      assert.equal(user?.emailVerified, false);
      assert.ok(user?.created instanceof Date);

      const byEmail = await client.login({ email: address, username: '', password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: true });
      assert.match(byEmail.accessToken?.id ?? '', /^[0-9A-Za-z]{64}$/);
      assert.equal(byEmail.accessToken?.ttlSeconds, 1209600);
      assert.equal(byEmail.accessToken?.userId, user?.id);
      assert.deepEqual(byEmail.user, user);
      const expires = (byEmail.accessToken?.expiresAt?.getTime() ?? 0) - (byEmail.accessToken?.created?.getTime() ?? 0);
      assert.equal(expires, 1209600 * 1000);

      const byName = await client.login({ email: '', username: `name${counter}`, password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: false });
      assert.equal(byName.user, undefined);
      assert.equal(byName.accessToken?.userId, user?.id);
    });

    it('applies the TTL rules', async () => {
      const { email: address } = await userWithSession();
      const login = (ttlSeconds: number) => client.login({ email: address, username: '', password: PASSWORD, realm: '', ttlSeconds, includeUser: false });
      assert.equal((await login(10 ** 12)).accessToken?.ttlSeconds, 31556926);
      await rejectsWith(login(-1), status.INVALID_ARGUMENT, 'INVALID_TTL');
      await rejectsWith(login(-7), status.INVALID_ARGUMENT, 'INVALID_TTL');
    });

    it('answers the same error for an unknown user and a wrong password', async () => {
      const { email: address } = await userWithSession();
      for (const request of [
        { email: address, password: 'wrong password' },
        { email: 'nobody-here@example.com', password: PASSWORD },
      ]) {
        await assert.rejects(client.login({ ...request, username: '', realm: '', ttlSeconds: 0, includeUser: false }), (err: ServiceError) => {
          assert.equal(err.code, status.UNAUTHENTICATED);
          assert.equal(err.details, 'login failed');
          assert.equal(errorDetails(err).reason, 'LOGIN_FAILED');
          return true;
        });
      }
    });

    it('answers input errors with their contract reason', async () => {
      const login = { username: '', realm: '', ttlSeconds: 0, includeUser: false };
      await rejectsWith(client.login({ ...login, email: '', password: PASSWORD }), status.INVALID_ARGUMENT, 'USERNAME_EMAIL_REQUIRED');
      await rejectsWith(client.login({ ...login, email: 'a@example.com', password: '' }), status.INVALID_ARGUMENT, 'PASSWORD_REQUIRED');
      await rejectsWith(client.login({ ...login, email: 'not an email', password: PASSWORD }), status.INVALID_ARGUMENT, 'INVALID_EMAIL');
      const create = { username: '', realm: '' };
      await rejectsWith(client.createUser({ ...create, email: 'a@example.com', password: 'short' }), status.INVALID_ARGUMENT, 'PASSWORD_TOO_SHORT');
      await rejectsWith(client.createUser({ ...create, email: 'a@example.com', password: 'x'.repeat(73) }), status.INVALID_ARGUMENT, 'PASSWORD_TOO_LONG');
      await rejectsWith(client.createUser({ ...create, email: 'a@example.com', username: 'no spaces', password: PASSWORD }), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
      await rejectsWith(client.validateToken({ accessToken: '', requiredScopes: [], includeUser: false }), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
    });

    it('refuses a taken email or username per realm', async () => {
      const address = email();
      await client.createUser({ email: address, username: `taken${counter}`, password: PASSWORD, realm: '' });
      await rejectsWith(client.createUser({ email: address, username: '', password: PASSWORD, realm: '' }), status.ALREADY_EXISTS, 'EMAIL_EXISTS');
      await rejectsWith(
        client.createUser({ email: email(), username: `taken${counter - 1}`, password: PASSWORD, realm: '' }),
        status.ALREADY_EXISTS,
        'USERNAME_EXISTS',
      );
      await client.createUser({ email: address, username: `taken${counter - 1}`, password: PASSWORD, realm: 'other' });
    });

    it('validates tokens from the field or the authorization metadata', async () => {
      const { user, token } = await userWithSession();
      const validate = (accessToken: string, authorization?: string) =>
        client.validateToken({ accessToken, requiredScopes: [], includeUser: true }, { authorization });
      const fromField = await validate(token);
      assert.equal(fromField.active, true);
      assert.equal(fromField.userId, user.id);
      assert.deepEqual(fromField.user, user);
      assert.equal((await validate('', token)).active, true);
      assert.equal((await validate('', `Bearer ${token}`)).active, true);
      assert.equal((await validate('x'.repeat(64))).active, false);
      assert.equal((await validate('{"$ne": null}')).active, false);
    });

    it('lets a 1-second token go inactive', async () => {
      const { email: address } = await userWithSession();
      const { accessToken } = await client.login({ email: address, username: '', password: PASSWORD, realm: '', ttlSeconds: 1, includeUser: false });
      const validate = () => client.validateToken({ accessToken: accessToken?.id ?? '', requiredScopes: [], includeUser: false });
      assert.equal((await validate()).active, true);
      await sleep(1100);
      assert.equal((await validate()).active, false);
      await rejectsWith(client.logout({ accessToken: accessToken?.id ?? '', allSessions: false }), status.UNAUTHENTICATED, 'INVALID_TOKEN');
    });

    it('logs out one session, then all sessions', async () => {
      const { token, email: address } = await userWithSession();
      const login = () => client.login({ email: address, username: '', password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: false });
      const second = (await login()).accessToken?.id ?? '';
      const third = (await login()).accessToken?.id ?? '';
      assert.deepEqual(await client.logout({ accessToken: '', allSessions: false }, { authorization: `Bearer ${token}` }), { revoked: 1 });
      await rejectsWith(client.logout({ accessToken: token, allSessions: false }), status.UNAUTHENTICATED, 'INVALID_TOKEN');
      assert.equal((await client.validateToken({ accessToken: second, requiredScopes: [], includeUser: false })).active, true);
      assert.deepEqual(await client.logout({ accessToken: second, allSessions: true }), { revoked: 2 });
      assert.equal((await client.validateToken({ accessToken: third, requiredScopes: [], includeUser: false })).active, false);
    });

    it('resets a password through the webhook: old sessions die, the token works once, the new password logs in', async () => {
      const { user, token: session, email: address } = await userWithSession();
      const before = webhook.deliveries.length;
      assert.deepEqual(await client.resetPassword({ email: address.toUpperCase(), realm: '' }), {});
      const delivery = await webhook.waitFor(before + 1);
      assert.equal(delivery.headers['x-signature'], signBody(delivery.raw, SECRET));
      assert.equal(delivery.body.email, address);
      assert.equal(delivery.body.userId, user.id);
      const lifetime = Date.parse(delivery.body.expiresAt) - Date.now();
      assert.ok(lifetime > 890_000 && lifetime <= 900_000, `reset token lifetime ${lifetime} ms`);
      const resetToken = delivery.body.token;
      // A reset token is not an access token.
      assert.equal((await client.validateToken({ accessToken: resetToken, requiredScopes: [], includeUser: false })).active, false);

      assert.deepEqual(await client.setPassword({ resetToken, newPassword: 'a brand new password' }), {});
      assert.equal((await client.validateToken({ accessToken: session, requiredScopes: [], includeUser: false })).active, false);
      await rejectsWith(client.setPassword({ resetToken, newPassword: 'yet another password' }), status.UNAUTHENTICATED, 'INVALID_TOKEN');
      const login = (password: string) => client.login({ email: address, username: '', password, realm: '', ttlSeconds: 0, includeUser: false });
      await rejectsWith(login(PASSWORD), status.UNAUTHENTICATED, 'LOGIN_FAILED');
      assert.ok((await login('a brand new password')).accessToken);
      // Nothing but the notifier ever saw the token.
      assert.equal(server.output.some((line) => line.includes(resetToken)), false);
    });

    it('answers OK for an unknown email and sends nothing', async () => {
      const before = webhook.deliveries.length;
      assert.deepEqual(await client.resetPassword({ email: 'nobody-at-all@example.com', realm: '' }), {});
      await sleep(300);
      assert.equal(webhook.deliveries.length, before);
    });

    it('lets exactly one of two concurrent SetPassword calls with one token win', async () => {
      const { email: address } = await userWithSession();
      const before = webhook.deliveries.length;
      await client.resetPassword({ email: address, realm: '' });
      const resetToken = (await webhook.waitFor(before + 1)).body.token;
      const results = await Promise.allSettled([
        client.setPassword({ resetToken, newPassword: 'first new password' }),
        client.setPassword({ resetToken, newPassword: 'second new password' }, { authorization: resetToken }),
      ]);
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      const loser = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
      assert.equal(errorDetails(loser.reason as ServiceError).reason, 'INVALID_TOKEN');
      const winner = results[0]?.status === 'fulfilled' ? 'first new password' : 'second new password';
      assert.ok((await client.login({ email: address, username: '', password: winner, realm: '', ttlSeconds: 0, includeUser: false })).accessToken);
    });

    it('changes a password, keeping the current session and ending the others', async () => {
      const { token, email: address } = await userWithSession();
      const other = (await client.login({ email: address, username: '', password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: false })).accessToken?.id ?? '';
      await rejectsWith(
        client.changePassword({ accessToken: token, oldPassword: 'not the password', newPassword: 'changed password' }),
        status.INVALID_ARGUMENT,
        'INVALID_PASSWORD',
      );
      await client.changePassword({ accessToken: '', oldPassword: PASSWORD, newPassword: 'changed password' }, { authorization: `Bearer ${token}` });
      const validate = (accessToken: string) => client.validateToken({ accessToken, requiredScopes: [], includeUser: false });
      assert.equal((await validate(token)).active, true);
      assert.equal((await validate(other)).active, false);
      assert.ok((await client.login({ email: address, username: '', password: 'changed password', realm: '', ttlSeconds: 0, includeUser: false })).accessToken);
    });

    it('never writes a secret to its log', () => {
      const log = server.output.join('\n');
      assert.equal(log.includes(PASSWORD), false);
      assert.equal(log.includes(SECRET), false);
      assert.equal(/\$2[aby]\$/.test(log), false, 'a bcrypt hash reached the log');
    });
  });
}

describeGrpc('embedded', async () => ({ env: {}, stop: async () => undefined }));
describeGrpc('MongoDB', async () => {
  const mongo = await startMongo();
  return { env: { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName }, stop: () => mongo.stop() };
});
