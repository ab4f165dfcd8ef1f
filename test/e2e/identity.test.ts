/**
 * One identity, one account, end to end: rows of the red-team table (test/unit/identity.test.ts)
 * through real gRPC and REST clients against the built server (`npm run build` first), on the
 * embedded store and on MongoDB; then the sign-up limit and SIGNUP=closed as both transports answer
 * them, with the client address each transport takes from its own connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { connect, errorDetails, type Client } from '../support/grpc-client.js';
import { startMongo } from '../support/mongo.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const PASSWORD = 'correct horse battery';

interface Answer {
  status: number;
  headers: Headers;
  json: { error?: { statusCode: number; code: string; message: string } } & Record<string, unknown>;
}

async function post(server: ServerProcess, path: string, json: unknown): Promise<Answer> {
  const response = await fetch(`${server.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Answer['json'] };
}

function expectRestError(answer: Answer, statusCode: number, code: string): void {
  assert.equal(answer.status, statusCode, JSON.stringify(answer.json));
  assert.equal(answer.json.error?.code, code);
  assert.equal(answer.json.error?.statusCode, statusCode);
}

async function rejectsWith(promise: Promise<unknown>, code: status, reason: string): Promise<ServiceError> {
  let failure: ServiceError | undefined;
  await assert.rejects(promise, (err: ServiceError) => {
    assert.equal(status[err.code], status[code], err.details);
    assert.equal(errorDetails(err).reason, reason);
    failure = err;
    return true;
  });
  return failure as ServiceError;
}

function describeRows(storeName: string, storeEnv: () => Promise<{ env: Record<string, string>; stop(): Promise<void> }>): void {
  describe(`one identity, one account through gRPC and REST (${storeName} store)`, () => {
    let database: { env: Record<string, string>; stop(): Promise<void> };
    let server: ServerProcess;
    let client: Client;
    let ann: { id: string };

    before(async () => {
      database = await storeEnv();
      server = await startServer(database.env);
      client = connect(server.grpcAddress);
      const created = await post(server, '/api/users', { email: 'ann@example.com', username: 'Ann', password: PASSWORD, realm: 'admin' });
      assert.equal(created.status, 200, JSON.stringify(created.json));
      ann = created.json as { id: string };
    });

    after(async () => {
      client.close();
      await server.stop();
      await database.stop();
    });

    it('full-width email and realm are the same account (REST 422 EMAIL_EXISTS, gRPC login)', async () => {
      expectRestError(await post(server, '/api/users', { email: 'ＡＮＮ@ｅｘａｍｐｌｅ.com', password: PASSWORD, realm: 'ａｄｍｉｎ' }), 422, 'EMAIL_EXISTS');
      const { accessToken } = await client.login({ email: 'ＡＮＮ@ｅｘａｍｐｌｅ.com', username: '', password: PASSWORD, realm: 'Admin', ttlSeconds: 0, includeUser: false });
      assert.equal(accessToken?.userId, ann.id);
    });

    it('Ann, ANN and ann are one user, shown as first created', async () => {
      await rejectsWith(
        client.createUser({ email: 'other@example.com', username: 'ANN', password: PASSWORD, realm: 'admin' }),
        status.ALREADY_EXISTS,
        'USERNAME_EXISTS',
      );
      const { accessToken, user } = await client.login({ email: '', username: 'ann', password: PASSWORD, realm: 'ADMIN', ttlSeconds: 0, includeUser: true });
      assert.equal(accessToken?.userId, ann.id);
      assert.deepEqual({ username: user?.username, realm: user?.realm }, { username: 'Ann', realm: 'admin' });
      const byRest = await post(server, '/api/users/login?include=user', { username: 'aNN', password: PASSWORD, realm: 'admin' });
      assert.equal(byRest.status, 200);
      assert.equal((byRest.json.user as { username: string }).username, 'Ann');
    });

    it('invisible, bidi and C1 characters are refused with the field’s code', async () => {
      for (const email of ['an\u200bn@example.com', 'ann\u202e@example.com', 'an\u0085n@example.com', 'an\u00adn@example.com']) {
        expectRestError(await post(server, '/api/users', { email, password: PASSWORD, realm: 'admin' }), 400, 'INVALID_EMAIL');
        await rejectsWith(client.createUser({ email, username: '', password: PASSWORD, realm: 'admin' }), status.INVALID_ARGUMENT, 'INVALID_EMAIL');
      }
      for (const realm of ['admin\u200b', ' admin']) {
        expectRestError(await post(server, '/api/users', { email: 'new@example.com', password: PASSWORD, realm }), 400, 'INVALID_ARGUMENT');
        await rejectsWith(
          client.login({ email: 'ann@example.com', username: '', password: PASSWORD, realm, ttlSeconds: 0, includeUser: false }),
          status.INVALID_ARGUMENT,
          'INVALID_ARGUMENT',
        );
      }
    });

    it('NFC and NFD rené are one account, as are a Unicode domain and its punycode', async () => {
      const rene = await client.createUser({ email: 'ren\u00e9@münchen.de', username: '', password: PASSWORD, realm: '' });
      assert.equal(rene.user?.email, 'ren\u00e9@xn--mnchen-3ya.de');
      expectRestError(await post(server, '/api/users', { email: 'rene\u0301@xn--mnchen-3ya.de', password: PASSWORD }), 422, 'EMAIL_EXISTS');
      const login = await post(server, '/api/users/login', { email: 'RENE\u0301@MU\u0308NCHEN.DE', password: PASSWORD });
      assert.equal(login.json.userId, rene.user?.id);
    });
  });
}

describeRows('embedded', async () => ({ env: {}, stop: async () => undefined }));
describeRows('MongoDB', async () => {
  const mongo = await startMongo();
  return { env: { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName }, stop: () => mongo.stop() };
});

describe('sign-up limit per client address and realm, on both transports', () => {
  let server: ServerProcess;
  let client: Client;
  let n = 0;
  const grpcSignup = (realm: string) => client.createUser({ email: `g${++n}@example.com`, username: '', password: PASSWORD, realm });
  const restSignup = (realm: string) => post(server, '/api/users', { email: `r${++n}@example.com`, password: PASSWORD, realm });

  before(async () => {
    server = await startServer({ SIGNUP_MAX_PER_WINDOW: '2', SIGNUP_WINDOW_SECONDS: '3600' });
    client = connect(server.grpcAddress);
  });

  after(async () => {
    client.close();
    await server.stop();
  });

  it('gRPC: RESOURCE_EXHAUSTED TOO_MANY_ATTEMPTS with RetryInfo after the limit', async () => {
    await grpcSignup('grpc');
    await grpcSignup('grpc');
    const refused = await rejectsWith(grpcSignup('grpc'), status.RESOURCE_EXHAUSTED, 'TOO_MANY_ATTEMPTS');
    const delay = errorDetails(refused).retryDelaySeconds ?? 0;
    assert.ok(delay > 3500 && delay <= 3600, `retry delay ${delay}`);
  });

  it('REST: 429 TOO_MANY_ATTEMPTS with Retry-After after the limit', async () => {
    assert.equal((await restSignup('rest')).status, 200);
    assert.equal((await restSignup('rest')).status, 200);
    const refused = await restSignup('rest');
    expectRestError(refused, 429, 'TOO_MANY_ATTEMPTS');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter > 3500 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
  });

  it('both transports count the same client address (127.0.0.1), per realm', async () => {
    await grpcSignup('shared');
    assert.equal((await restSignup('shared')).status, 200);
    await rejectsWith(grpcSignup('shared'), status.RESOURCE_EXHAUSTED, 'TOO_MANY_ATTEMPTS');
    expectRestError(await restSignup('shared'), 429, 'TOO_MANY_ATTEMPTS');
    await grpcSignup('another-realm');
  });
});

describe('SIGNUP=closed', () => {
  let server: ServerProcess;
  let client: Client;

  before(async () => {
    server = await startServer({ SIGNUP: 'closed' });
    client = connect(server.grpcAddress);
  });

  after(async () => {
    client.close();
    await server.stop();
  });

  it('refuses CreateUser: gRPC PERMISSION_DENIED, REST 403, both SIGNUP_CLOSED', async () => {
    const refused = await rejectsWith(
      client.createUser({ email: 'new@example.com', username: '', password: PASSWORD, realm: '' }),
      status.PERMISSION_DENIED,
      'SIGNUP_CLOSED',
    );
    assert.equal(refused.details, 'sign-up is closed');
    const answer = await post(server, '/api/users', { email: 'new@example.com', password: PASSWORD });
    expectRestError(answer, 403, 'SIGNUP_CLOSED');
    assert.deepEqual(answer.json, { error: { statusCode: 403, name: 'Error', message: 'sign-up is closed', code: 'SIGNUP_CLOSED' } });
  });
});
