/**
 * The REST gateway's own lifecycle, in process so that the test controls the store and the clock of
 * shutdown: draining, readiness, close() with requests in flight, database failures, and HTTPS/mTLS.
 * Requests still go through a real HTTP client over a real socket.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, describe, test } from 'node:test';
import { httpLimitsFrom } from '../../src/app.js';
import { loadConfig, readTlsMaterial } from '../../src/config.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { createLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { MemoryUserStore } from '../../src/storage/users/memory.js';
import type { UserRecord } from '../../src/storage/users/port.js';
import { createHttpServer, type HttpServer } from '../../src/transport/http/server.js';
import { makeCertificates } from '../support/certs.js';
import { createTestService } from '../support/service.js';

const PASSWORD = 'correct horse 1';

/** A memory store whose user lookup can be held at a gate or made to fail, as a slow or broken database would. */
class ControlledStore extends MemoryUserStore {
  failWith: Error | undefined;
  private gate: Promise<void> | undefined;
  private release: (() => void) | undefined;
  private entered: (() => void) | undefined;

  /** Holds every following lookup until open() is called; resolves when the first one arrives. */
  hold(): Promise<void> {
    this.gate = new Promise((resolve) => (this.release = resolve));
    return new Promise((resolve) => (this.entered = resolve));
  }

  open(): void {
    this.release?.();
    this.gate = undefined;
  }

  override async findByEmail(realm: string, email: string): Promise<UserRecord | undefined> {
    this.entered?.();
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    return super.findByEmail(realm, email);
  }
}

interface Gateway {
  base: string;
  http: HttpServer;
  store: ControlledStore;
  logs: Array<Record<string, unknown>>;
  state: { ready: boolean; draining: boolean };
}

const running = new Set<Gateway>();

async function startGateway(env: Record<string, string> = {}, protocol = 'http'): Promise<Gateway> {
  const store = new ControlledStore();
  const { service } = await createTestService({}, { users: store });
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', HTTP_PORT: '0', BCRYPT_COST: '4', ...env });
  const state = { ready: true, draining: false };
  const http = createHttpServer({
    service,
    endpoint: { host: config.HOST, port: config.HTTP_PORT, tls: readTlsMaterial(config) },
    limits: httpLimitsFrom(config),
    logger: createLogger('debug', sink),
    metrics: new Metrics(),
    isReady: () => state.ready,
    isDraining: () => state.draining,
    confirmRedirectOrigins: [],
  });
  const port = await http.listen();
  const gateway = { base: `${protocol}://127.0.0.1:${port}`, http, store, logs, state };
  running.add(gateway);
  return gateway;
}

async function stopGateway(gateway: Gateway): Promise<void> {
  running.delete(gateway);
  gateway.store.open();
  await gateway.http.close(100);
}

afterEach(async () => {
  await Promise.all([...running].map(stopGateway));
});

async function call(gateway: Gateway, path: string, json?: unknown): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(gateway.base + path, {
    method: json === undefined ? 'GET' : 'POST',
    headers: json === undefined ? {} : { 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

function assertError(answer: { status: number; body: unknown }, status: number, code: string, message?: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  const { error } = answer.body as { error: { statusCode: number; name: string; code: string; message: string } };
  assert.equal(error.statusCode, status);
  assert.equal(error.name, 'Error');
  assert.equal(error.code, code);
  if (message !== undefined) assert.equal(error.message, message);
}

async function createUser(gateway: Gateway): Promise<string> {
  const email = `u${Math.random().toString(36).slice(2)}@example.com`;
  const answer = await call(gateway, '/api/users', { email, password: PASSWORD });
  assert.equal(answer.status, 200);
  return email;
}

describe('REST gateway lifecycle', () => {
  test('while draining, API requests are 503 SERVICE_UNAVAILABLE; /healthz and /metrics still answer, /readyz is 503', async () => {
    const gateway = await startGateway();
    const email = await createUser(gateway);
    gateway.state.draining = true;
    assertError(await call(gateway, '/api/users/login', { email, password: PASSWORD }), 503, 'SERVICE_UNAVAILABLE');
    assertError(await call(gateway, '/api/users/logout', {}), 503, 'SERVICE_UNAVAILABLE');
    assert.equal((await call(gateway, '/healthz')).status, 200);
    assertError(await call(gateway, '/readyz'), 503, 'SERVICE_UNAVAILABLE');
    assert.equal((await fetch(`${gateway.base}/metrics`)).status, 200);
  });

  test('/readyz follows isReady()', async () => {
    const gateway = await startGateway();
    assert.equal((await call(gateway, '/readyz')).status, 200);
    gateway.state.ready = false;
    assertError(await call(gateway, '/readyz'), 503, 'SERVICE_UNAVAILABLE');
    assert.equal((await call(gateway, '/healthz')).status, 200);
    gateway.state.ready = true;
    assert.equal((await call(gateway, '/readyz')).status, 200);
  });

  test('a database outage is 503 and an unexpected failure 500, neither leaking the cause', async () => {
    const gateway = await startGateway();
    const email = await createUser(gateway);
    gateway.store.failWith = new StoreUnavailableError(new Error('connect ECONNREFUSED mongodb://admin:hunter2@db:27017'));
    const unavailable = await call(gateway, '/api/users/login', { email, password: PASSWORD });
    assertError(unavailable, 503, 'SERVICE_UNAVAILABLE');
    assert.doesNotMatch(JSON.stringify(unavailable.body), /hunter2|ECONNREFUSED/);

    gateway.store.failWith = new Error('driver exploded: mongodb://admin:hunter2@db:27017\n    at Store.find (/app/store.js:1:1)');
    const internal = await call(gateway, '/api/users/login', { email, password: PASSWORD });
    assertError(internal, 500, 'INTERNAL', 'internal error');
    assert.doesNotMatch(JSON.stringify(internal.body), /hunter2|exploded|store\.js/);

    const line = gateway.logs.find((entry) => entry.status === 500);
    assert.equal(line?.level, 50, 'a 500 is logged at error');
    assert.equal(line?.route, '/api/users/login');
    assert.equal(line?.code, 'INTERNAL');
    assert.equal(gateway.logs.find((entry) => entry.status === 503)?.level, 40, 'a 503 is logged at warn');
    assert.doesNotMatch(JSON.stringify(gateway.logs), /hunter2/);
  });

  test('close() lets a request in flight finish, and refuses new connections meanwhile', { timeout: 10_000 }, async () => {
    const gateway = await startGateway();
    const email = await createUser(gateway);
    const entered = gateway.store.hold();
    const inFlight = call(gateway, '/api/users/login', { email, password: PASSWORD });
    await entered;

    let closed = false;
    const closing = gateway.http.close(10_000).then(() => (closed = true));
    await delay(100);
    assert.equal(closed, false, 'close() waits for the request in flight');
    await assert.rejects(fetch(`${gateway.base}/healthz`, { headers: { connection: 'close' } }), 'no new connections while closing');

    gateway.store.open();
    const answer = await inFlight;
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('connection'), 'close', 'the connection is not kept alive during shutdown');
    await closing;
    running.delete(gateway);
  });

  test('close() cuts requests off once the grace period is over', { timeout: 10_000 }, async () => {
    const gateway = await startGateway();
    const email = await createUser(gateway);
    const entered = gateway.store.hold();
    const inFlight = call(gateway, '/api/users/login', { email, password: PASSWORD });
    const outcome = inFlight.then(
      () => 'answered',
      () => 'cut off',
    );
    await entered;
    const started = Date.now();
    await gateway.http.close(200);
    const took = Date.now() - started;
    assert.ok(took >= 150 && took < 2000, `close took ${took} ms`);
    assert.equal(await outcome, 'cut off');
    running.delete(gateway);
    gateway.store.open();
  });
});

describe('REST gateway over TLS', () => {
  const certs = makeCertificates();
  const file = certs.file;
  after(() => certs.remove());

  const tlsEnv = { TLS_CERT_FILE: file('server.crt'), TLS_KEY_FILE: file('server.key') };

  function get(url: string, client: { cert?: Buffer; key?: Buffer } = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { ca: readFileSync(file('ca.crt')), ...client, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('TLS_CERT_FILE and TLS_KEY_FILE serve HTTPS', async () => {
    const gateway = await startGateway(tlsEnv, 'https');
    assert.equal(await get(`${gateway.base}/healthz`), 200);
  });

  test('TLS_CLIENT_CA_FILE requires a client certificate signed by that CA', async () => {
    const gateway = await startGateway({ ...tlsEnv, TLS_CLIENT_CA_FILE: file('ca.crt') }, 'https');
    await assert.rejects(get(`${gateway.base}/healthz`));
    const client = { cert: readFileSync(file('client.crt')), key: readFileSync(file('client.key')) };
    assert.equal(await get(`${gateway.base}/healthz`, client), 200);
  });
});
