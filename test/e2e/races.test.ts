import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { MongoClient } from 'mongodb';
import { errorDetails, type Client } from '../support/grpc-client.js';
import { startMongo } from '../support/mongo.js';
import { startReplicas, type Replicas } from '../support/replicas.js';
import { startWebhookReceiver } from '../support/webhook.js';

const PASSWORD = 'correct horse battery';
const loginRequest = (email: string, password = PASSWORD) => ({ email, username: '', password, realm: '', ttlSeconds: 0, includeUser: false });
const validateRequest = (accessToken: string) => ({ accessToken, requiredScopes: [], includeUser: false });

describe('two service processes on one database', () => {
  let mongo: Awaited<ReturnType<typeof startMongo>>;
  let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let replicas: Replicas;
  let database: MongoClient;
  let a: Client;
  let b: Client;

  before(async () => {
    mongo = await startMongo();
    database = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 5000 });
    webhook = await startWebhookReceiver();
    // A lock that outlasts a slow machine's storm, so that "locked afterwards" is not a race with its end.
    const env = { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName, RESET_WEBHOOK_URL: webhook.url, RESET_WEBHOOK_SECRET: 'secret', LOGIN_LOCK_BASE_MS: '60000' };
    replicas = await startReplicas(env);
    ({ a, b } = replicas);
  });

  after(async () => {
    await database.close();
    await replicas.stop();
    await webhook.close();
    await mongo.stop();
  });

  it('lets exactly one of concurrent CreateUser calls with one email win, across processes', async () => {
    const results = await Promise.allSettled(
      [a, b, a, b, a, b].map((client, i) => client.createUser({ email: 'Same@Example.com', username: '', password: `${PASSWORD}${i}`, realm: '' })),
    );
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    for (const result of results) {
      if (result.status === 'rejected') {
        const err = result.reason as ServiceError;
        assert.equal(err.code, status.ALREADY_EXISTS);
        assert.equal(errorDetails(err).reason, 'EMAIL_EXISTS');
      }
    }
  });

  /** Password checks that ran with this outcome on both processes, from their /metrics. */
  async function passwordChecks(outcome: 'failure' | 'success'): Promise<number> {
    let total = 0;
    for (const server of replicas.servers) {
      const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
      const line = new RegExp(`^auth_logins_total\\{outcome="${outcome}",method="password"\\} (\\d+)$`, 'm').exec(text);
      total += Number(line?.[1] ?? 0);
    }
    return total;
  }

  it('runs at most LOGIN_MAX_FAILURES failing password checks for 50 concurrent guesses and the right password, across processes', async () => {
    await a.createUser({ email: 'storm@example.com', username: 'storm', password: PASSWORD, realm: '' });
    const failuresBefore = await passwordChecks('failure');
    const successesBefore = await passwordChecks('success');
    const guesses = Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).login(loginRequest('storm@example.com', `wrong guess ${i}`)));
    const right = (guesses.length % 2 ? a : b).login(loginRequest('storm@example.com'));
    const results = await Promise.allSettled([...guesses, right]);
    const failures = (await passwordChecks('failure')) - failuresBefore;
    assert.ok(failures >= 1 && failures <= 5, `${failures} failing checks ran`);
    assert.ok((await passwordChecks('success')) - successesBefore <= 1);
    for (const result of results.slice(0, 50)) {
      assert.equal(result.status, 'rejected');
      const err = (result as PromiseRejectedResult).reason as ServiceError;
      assert.ok(['LOGIN_FAILED', 'TOO_MANY_ATTEMPTS'].includes(errorDetails(err).reason ?? ''), errorDetails(err).reason);
    }
    // Locked now, whichever identifier and process is tried.
    for (const client of [a, b]) {
      await assert.rejects(client.login(loginRequest('storm@example.com')), (err: ServiceError) => errorDetails(err).reason === 'TOO_MANY_ATTEMPTS');
      await assert.rejects(client.login({ ...loginRequest(''), username: 'storm' }), (err: ServiceError) => errorDetails(err).reason === 'TOO_MANY_ATTEMPTS');
    }
  });

  it('sees a logout on one process at once on the other', async () => {
    await a.createUser({ email: 'logout@example.com', username: '', password: PASSWORD, realm: '' });
    const token = (await a.login(loginRequest('logout@example.com'))).accessToken?.id ?? '';
    assert.equal((await b.validateToken(validateRequest(token))).active, true);
    await a.logout({ accessToken: token, allSessions: false });
    assert.equal((await b.validateToken(validateRequest(token))).active, false);
  });

  it('sees a password change on one process at once on the other', async () => {
    await b.createUser({ email: 'change@example.com', username: '', password: PASSWORD, realm: '' });
    const kept = (await a.login(loginRequest('change@example.com'))).accessToken?.id ?? '';
    const other = (await b.login(loginRequest('change@example.com'))).accessToken?.id ?? '';
    await a.changePassword({ accessToken: kept, oldPassword: PASSWORD, newPassword: 'a changed password' });
    assert.equal((await b.validateToken(validateRequest(other))).active, false);
    assert.equal((await b.validateToken(validateRequest(kept))).active, true);
    await assert.rejects(b.login(loginRequest('change@example.com')), { code: status.UNAUTHENTICATED });
    assert.ok((await b.login(loginRequest('change@example.com', 'a changed password'))).accessToken);
  });

  it('lets exactly one SetPassword win when two processes race with one reset token', async () => {
    await a.createUser({ email: 'reset@example.com', username: '', password: PASSWORD, realm: '' });
    const count = webhook.deliveries.length;
    await b.resetPassword({ email: 'reset@example.com', realm: '' });
    const resetToken = (await webhook.waitFor(count + 1)).body.token;
    const results = await Promise.allSettled([
      a.setPassword({ resetToken, newPassword: 'password from a' }),
      b.setPassword({ resetToken, newPassword: 'password from b' }),
    ]);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
  });

  it('shares the login throttle between processes', async () => {
    await a.createUser({ email: 'throttle@example.com', username: '', password: PASSWORD, realm: '' });
    for (const client of [a, b, a, b, a]) {
      await assert.rejects(client.login(loginRequest('throttle@example.com', 'wrong password')), { code: status.UNAUTHENTICATED });
    }
    await assert.rejects(b.login(loginRequest('throttle@example.com')), (err: ServiceError) => {
      assert.equal(err.code, status.RESOURCE_EXHAUSTED);
      assert.equal(errorDetails(err).reason, 'TOO_MANY_ATTEMPTS');
      assert.ok((errorDetails(err).retryDelaySeconds ?? 0) >= 1);
      return true;
    });
  });

  it('rehashes an older bcrypt hash once when two logins on two processes (gRPC and REST) race', async () => {
    const { user } = await a.createUser({ email: 'rehash@example.com', username: '', password: PASSWORD, realm: '' });
    const users = database.db(mongo.dbName).collection<{ _id: string; passwordHash: string }>('users');
    const stored = async () => (await users.findOne({ _id: user?.id ?? '' }))?.passwordHash ?? '';
    // As LoopBack and bcryptjs wrote it: the same hash under the older $2a$ prefix.
    await users.updateOne({ _id: user?.id ?? '' }, { $set: { passwordHash: (await stored()).replace(/^\$2b\$/, '$2a$') } });
    const rehashes = async () => {
      let total = 0;
      for (const server of replicas.servers) {
        const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
        total += Number(/^auth_password_rehashes_total\{outcome="stored"\} (\d+)$/m.exec(text)?.[1] ?? 0);
      }
      return total;
    };
    const restLogin = () =>
      fetch(`${replicas.servers[1].httpUrl}/api/users/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'rehash@example.com', password: PASSWORD }),
      });
    const [grpcAnswer, restAnswer] = await Promise.all([a.login(loginRequest('rehash@example.com')), restLogin()]);
    assert.ok(grpcAnswer.accessToken?.id);
    assert.equal(restAnswer.status, 200);
    assert.match(await stored(), /^\$2b\$04\$/);
    assert.equal(await rehashes(), 1);
    assert.ok((await b.login(loginRequest('rehash@example.com'))).accessToken?.id);
    assert.equal(await rehashes(), 1);
  });

  it('never lets a token survive a logout that raced its validation', async () => {
    await a.createUser({ email: 'race@example.com', username: '', password: PASSWORD, realm: '' });
    for (let round = 0; round < 5; round++) {
      const token = (await a.login(loginRequest('race@example.com'))).accessToken?.id ?? '';
      const validations = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).validateToken(validateRequest(token)));
      const logout = b.logout({ accessToken: token, allSessions: false });
      await Promise.all([logout, ...validations]);
      // Whatever the interleaving, once the logout has answered the token is dead everywhere.
      assert.equal((await a.validateToken(validateRequest(token))).active, false);
      assert.equal((await b.validateToken(validateRequest(token))).active, false);
    }
  });
});
