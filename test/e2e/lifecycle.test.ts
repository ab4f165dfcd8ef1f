import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { status, type ServiceError } from '@grpc/grpc-js';
import { connect, errorDetails } from '../support/grpc-client.js';
import { startMongo } from '../support/mongo.js';
import { startServer } from '../support/server-process.js';

const PASSWORD = 'correct horse battery';
const login = (email: string) => ({ email, username: '', password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: false });

async function readyz(url: string): Promise<number> {
  return (await fetch(`${url}/readyz`)).status;
}

async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

describe('graceful shutdown', () => {
  it('on SIGTERM stops taking calls, finishes those in flight and exits 0', async () => {
    // A real bcrypt cost makes logins slow enough to be in flight when the signal lands.
    const server = await startServer({ BCRYPT_COST: '12', SHUTDOWN_GRACE_MS: '10000' });
    const client = connect(server.grpcAddress);
    await client.createUser({ email: 'burst@example.com', username: '', password: PASSWORD, realm: '' });
    const { accessToken } = await client.login(login('burst@example.com'));
    const token = accessToken?.id ?? '';

    let signalled = 0;
    const outcomes: Array<{ ok: boolean; code?: number; startedAfterSignal: boolean }> = [];
    const track = (call: Promise<unknown>) => {
      const startedAfterSignal = signalled > 0;
      return call.then(
        () => outcomes.push({ ok: true, startedAfterSignal }),
        (err: ServiceError) => outcomes.push({ ok: false, code: err.code, startedAfterSignal }),
      );
    };
    const inFlightLogins = [1, 2, 3, 4].map(() => track(client.login(login('burst@example.com'))));
    const burst = (async () => {
      for (let i = 0; i < 300; i++) {
        await track(client.validateToken({ accessToken: token, requiredScopes: [], includeUser: false }));
        if (outcomes.some((o) => o.startedAfterSignal && !o.ok)) break;
      }
    })();
    await sleep(50);
    server.child.kill('SIGTERM');
    signalled = Date.now();
    // Readiness drops at once, while the logins are still running.
    assert.equal(await readyz(server.httpUrl), 503);

    await Promise.all([...inFlightLogins, burst]);
    assert.equal(await server.stop(), 0);
    client.close();

    const beforeSignal = outcomes.filter((o) => !o.startedAfterSignal);
    assert.ok(beforeSignal.length >= 4);
    assert.deepEqual(beforeSignal.filter((o) => !o.ok), [], 'a call started before SIGTERM failed');
    const refused = outcomes.filter((o) => !o.ok);
    assert.ok(refused.length > 0, 'no call was refused after SIGTERM');
    assert.deepEqual([...new Set(refused.map((o) => status[o.code ?? 0]))], ['UNAVAILABLE']);
    assert.ok(server.logs().some((line) => line.msg === 'auth-service stopped'));
  });

  it('exits 0 on SIGINT', async () => {
    const server = await startServer();
    assert.equal(await server.stop('SIGINT'), 0);
  });
});

describe('configuration', () => {
  it('refuses a bad value with one line naming the variable', async () => {
    for (const [env, variable] of [
      [{ GRPC_PORT: 'http' }, 'GRPC_PORT'],
      [{ NODE_ENV: 'production', BCRYPT_COST: '10', RESET_WEBHOOK_URL: 'http://127.0.0.1:1/x', RESET_WEBHOOK_SECRET: 's' }, 'MONGODB_URI'],
      [{ NODE_ENV: 'production', BCRYPT_COST: '10', MONGODB_URI: 'mongodb://127.0.0.1:1/' }, 'RESET_WEBHOOK_URL'],
    ] as const) {
      const error = await startServer(env).then(
        () => assert.fail(`started with ${JSON.stringify(env)}`),
        (err: Error) => err.message,
      );
      const lines = error.split('\n').filter((line) => line.startsWith('auth-service:'));
      assert.equal(lines.length, 1, error);
      assert.match(lines[0] ?? '', new RegExp(`invalid configuration: ${variable} `));
    }
  });
});

describe('database outage', () => {
  it('starts with the database down, serves once it is up, survives losing it, and loses no acknowledged write', async () => {
    const mongo = await startMongo();
    await mongo.stop();
    const server = await startServer({ MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName });
    const client = connect(server.grpcAddress);
    const create = (email: string, deadlineMs = 10000) =>
      client.createUser({ email, username: '', password: PASSWORD, realm: '' }, { deadlineMs });
    try {
      // Down at start: not ready, and calls fail fast with UNAVAILABLE.
      assert.equal(await readyz(server.httpUrl), 503);
      let started = Date.now();
      await assert.rejects(create('early@example.com', 2500), (err: ServiceError) => {
        assert.equal(status[err.code], 'UNAVAILABLE');
        assert.equal(errorDetails(err).reason, 'SERVICE_UNAVAILABLE');
        return true;
      });
      assert.ok(Date.now() - started < 2500, `UNAVAILABLE took ${Date.now() - started} ms`);

      await mongo.restart();
      await waitUntil('ready after the database came up', async () => (await readyz(server.httpUrl)) === 200);
      await create('before-outage@example.com');
      const { accessToken } = await client.login(login('before-outage@example.com'));

      // Lost while running.
      await mongo.stop();
      await waitUntil('not ready after the database went away', async () => (await readyz(server.httpUrl)) === 503);
      started = Date.now();
      await assert.rejects(client.validateToken({ accessToken: accessToken?.id ?? '', requiredScopes: [], includeUser: false }, { deadlineMs: 2500 }), {
        code: status.UNAVAILABLE,
      });
      assert.ok(Date.now() - started < 2500);

      await mongo.restart();
      await waitUntil('ready again', async () => (await readyz(server.httpUrl)) === 200);
      // What was acknowledged before the outage is still there.
      assert.equal((await client.validateToken({ accessToken: accessToken?.id ?? '', requiredScopes: [], includeUser: false })).active, true);
      assert.ok((await client.login(login('before-outage@example.com'))).accessToken);
      assert.equal(await server.stop(), 0);
    } finally {
      client.close();
      await server.stop();
      await mongo.stop();
    }
  });
});
