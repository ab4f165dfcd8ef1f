import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { errorDetails } from '../support/grpc-client.js';
import { consumerProject, type RunningExample } from './support/consumer.js';
import { startAuthService, type AuthService } from './support/service.js';

const CACHE_TTL_MS = 1500;

/** A caller of the README's grpc-server example, speaking its JSON-coded Orders service. */
function ordersClient(port: number) {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const call = (method: string, authorization: string[]): Promise<unknown> => {
    const metadata = new Metadata();
    for (const value of authorization) metadata.add('authorization', value);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        `/orders.v1.Orders/${method}`,
        (value: object) => Buffer.from(JSON.stringify(value)),
        (bytes: Buffer): unknown => JSON.parse(bytes.toString()),
        {},
        metadata,
        { deadline: Date.now() + 5000 },
        (err: ServiceError | null, response?: unknown) => (err ? reject(err) : resolve(response)),
      );
    });
  };
  return {
    listOrders: (...authorization: string[]) => call('ListOrders', authorization),
    deleteOrder: (...authorization: string[]) => call('DeleteOrder', authorization),
    close: () => client.close(),
  };
}

/** The gRPC error a call failed with: its code, message and google.rpc.ErrorInfo. */
async function refusal(call: Promise<unknown>) {
  const err = await call.then(
    () => assert.fail('the call was let through'),
    (error: unknown) => error as ServiceError,
  );
  return { code: err.code, message: err.details, ...errorDetails(err) };
}

describe('grpc-server (README) protected by authInterceptor from the tarball', () => {
  let auth: AuthService;
  let app: RunningExample;
  let orders: ReturnType<typeof ordersClient>;

  before(async () => {
    const consumer = consumerProject();
    auth = await startAuthService();
    app = await consumer.start('grpc-server', { AUTH_SERVICE_ADDRESS: auth.server.grpcAddress, AUTH_CACHE_TTL_MS: String(CACHE_TTL_MS) });
    orders = ordersClient(app.port);
  });
  after(async () => {
    orders?.close();
    await app?.stop();
    await auth?.stop();
  });

  it('lets a good token through and hands the handler its caller', async () => {
    const { token, userId } = await auth.login();
    assert.deepEqual(await orders.listOrders(`Bearer ${token}`), { userId, realm: '', orders: [] });
    assert.deepEqual(await orders.listOrders(token), { userId, realm: '', orders: [] });
  });

  it('answers UNAUTHENTICATED with ErrorInfo INVALID_TOKEN, like the service', async () => {
    for (const authorization of [[], ['Basic dXNlcjpwYXNzd29yZA=='], [`Bearer ${'x'.repeat(64)}`], ['Bearer two tokens']]) {
      assert.deepEqual(await refusal(orders.listOrders(...authorization)), {
        code: status.UNAUTHENTICATED,
        message: authorization.length === 0 || authorization[0]?.startsWith('Basic') ? 'an access token is required' : 'the access token is not valid',
        reason: 'INVALID_TOKEN',
        domain: 'auth.v1',
        metadata: {},
      });
    }
  });

  it('refuses bad and oversized metadata without asking the service', async () => {
    const { token } = await auth.login();
    const before = await auth.calls('ValidateToken');
    // (grpc-js callers cannot send two authorization values: their client refuses.)
    for (const authorization of [`Bearer ${token}, Bearer ${token}`, `Bearer ${token}%`, `Bearer ${'A'.repeat(4000)}`, `Bearer ${'A'.repeat(20_000)}`]) {
      assert.equal((await refusal(orders.listOrders(authorization))).code, status.UNAUTHENTICATED);
    }
    assert.equal(await auth.calls('ValidateToken'), before);
  });

  it('answers PERMISSION_DENIED with ErrorInfo INSUFFICIENT_SCOPE for a method needing a scope', async () => {
    const { token } = await auth.login();
    assert.deepEqual(await refusal(orders.deleteOrder(`Bearer ${token}`)), {
      code: status.PERMISSION_DENIED,
      message: 'the access token lacks scope orders:admin',
      reason: 'INSUFFICIENT_SCOPE',
      domain: 'auth.v1',
        metadata: {},
    });
  });

  it('makes one call for concurrent calls with one token', async () => {
    const { token } = await auth.login();
    const before = await auth.calls('ValidateToken');
    await Promise.all(Array.from({ length: 20 }, () => orders.listOrders(`Bearer ${token}`)));
    assert.equal(await auth.calls('ValidateToken'), before + 1);
  });

  it('refuses a revoked token once the cache bound has passed', async () => {
    const { token } = await auth.login();
    await orders.listOrders(`Bearer ${token}`);
    await auth.logout(token);
    await delay(CACHE_TTL_MS);
    assert.equal((await refusal(orders.listOrders(`Bearer ${token}`))).code, status.UNAUTHENTICATED);
  });

  it('fails closed with UNAVAILABLE once the service is stopped', async () => {
    const { token } = await auth.login();
    await auth.stop();
    assert.deepEqual(await refusal(orders.listOrders(`Bearer ${token}`)), {
      code: status.UNAVAILABLE,
      message: 'the auth service cannot be reached',
      reason: 'SERVICE_UNAVAILABLE',
      domain: 'auth.v1',
        metadata: {},
    });
  });
});
