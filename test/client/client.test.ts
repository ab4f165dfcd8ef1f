import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { freePort } from '../support/net.js';
import { makeCertificates } from '../support/certs.js';
import { consumerProject, type Consumer } from './support/consumer.js';
import { startAuthService, type AuthService } from './support/service.js';

type Package = typeof import('@auth-service/client');

const PROTO = readFileSync(new URL('../../proto/auth/v1/auth.proto', import.meta.url), 'utf8');

describe('createAuthClient from the tarball', () => {
  let consumer: Consumer;
  let pkg: Package;
  let auth: AuthService;

  before(async () => {
    consumer = consumerProject();
    pkg = await consumer.importClient();
    auth = await startAuthService();
  });
  after(() => auth?.stop());

  it('runs the calls example of the README', () => {
    const printed = JSON.parse(consumer.run('calls', { AUTH_SERVICE_ADDRESS: auth.server.grpcAddress })) as Record<string, unknown>;
    assert.equal(printed.active, true);
    assert.match(String(printed.userId), /^[0-9a-f]{24}$/);
    assert.equal(printed.refused, 'LOGIN_FAILED');
  });

  it('has a call for every RPC of the proto', () => {
    const client = pkg.createAuthClient({ address: auth.server.grpcAddress, deadlineMs: 1000 });
    const rpcs = [...PROTO.matchAll(/^\s*rpc (\w+)\(/gm)].map(([, name = '']) => name[0]?.toLowerCase() + name.slice(1));
    assert.ok(rpcs.includes('validateToken'));
    assert.deepEqual(Object.keys(client.rpc).sort(), rpcs.sort());
    client.close();
  });

  it('refuses options that cannot work', () => {
    const address = auth.server.grpcAddress;
    assert.throws(() => pkg.createAuthClient({ address, deadlineMs: 0 }), /deadlineMs must be a positive number/);
    assert.throws(() => pkg.createAuthClient({ address, deadlineMs: 100, cache: { ttlMs: -1 } }), /cache.ttlMs/);
    assert.throws(() => pkg.createAuthClient({ address, deadlineMs: 100, cache: { ttlMs: 100, maxEntries: 0.5 } }), /cache.maxEntries/);
    const client = pkg.createAuthClient({ address, deadlineMs: 100 });
    assert.throws(() => pkg.authInterceptor(client, { requiredScopes: ['a b'] }), /not a scope/);
    client.close();
  });

  it('without a cache, asks the service on every check', async () => {
    const client = pkg.createAuthClient({ address: auth.server.grpcAddress, deadlineMs: 1000 });
    const { token } = await auth.login();
    const before = await auth.calls('ValidateToken');
    const verdicts = await Promise.all(Array.from({ length: 5 }, () => client.authorize(`Bearer ${token}`)));
    assert.ok(verdicts.every((verdict) => verdict.ok));
    assert.equal(await auth.calls('ValidateToken'), before + 5);
    client.close();
  });

  it('keeps at most maxEntries answers, and never a negative one', async () => {
    const client = pkg.createAuthClient({ address: auth.server.grpcAddress, deadlineMs: 1000, cache: { ttlMs: 60_000, maxEntries: 2 } });
    const tokens = (await Promise.all([auth.login(), auth.login(), auth.login()])).map(({ token }) => token);
    const before = await auth.calls('ValidateToken');
    for (const index of [0, 1, 2, 2, 1, 0]) assert.equal((await client.authorize(tokens.at(index))).ok, true);
    // 3 first checks, the 2 latest answered from the cache, the first one evicted.
    assert.equal(await auth.calls('ValidateToken'), before + 4);
    const unknown = `Bearer ${'u'.repeat(64)}`;
    assert.equal((await client.authorize(unknown)).ok, false);
    assert.equal((await client.authorize(unknown)).ok, false);
    assert.equal(await auth.calls('ValidateToken'), before + 6);
    client.close();
  });

  it('gives up at the deadline when the service does not answer', async () => {
    const client = pkg.createAuthClient({ address: auth.server.grpcAddress, deadlineMs: 300 });
    const { token } = await auth.login();
    auth.server.child.kill('SIGSTOP');
    try {
      const verdict = await client.authorize(`Bearer ${token}`);
      assert.equal(verdict.ok, false);
      assert.equal(!verdict.ok && verdict.reason, 'unavailable');
      assert.equal(!verdict.ok && verdict.reason === 'unavailable' && (verdict.error as { code?: number }).code, status.DEADLINE_EXCEEDED);
    } finally {
      auth.server.child.kill('SIGCONT');
      client.close();
    }
  });
});

describe('createAuthClient retries', () => {
  let consumer: Consumer;
  let pkg: Package;
  let auth: AuthService;

  before(async () => {
    consumer = consumerProject();
    pkg = await consumer.importClient();
    // A database nobody listens on: the service runs, and every call that needs it fails UNAVAILABLE.
    auth = await startAuthService({ MONGODB_URI: `mongodb://127.0.0.1:${await freePort()}`, MONGODB_DB: 'auth' });
  });
  after(() => auth?.stop());

  it('sends ValidateToken up to 3 times on UNAVAILABLE, Login once, and stops retrying in an outage', async () => {
    const client = pkg.createAuthClient({ address: auth.server.grpcAddress, deadlineMs: 2000 });
    const token = `Bearer ${'t'.repeat(64)}`;
    const verdict = await client.authorize(token);
    assert.equal(!verdict.ok && verdict.reason, 'unavailable');
    assert.equal(await auth.calls('ValidateToken', 'UNAVAILABLE'), 3);

    const login = await client.rpc.login({ email: 'someone@example.com', password: 'correct horse battery' }).catch((err: unknown) => err);
    assert.ok(login instanceof pkg.AuthCallError);
    assert.deepEqual([login.code, login.reason, login.domain], [status.UNAVAILABLE, 'SERVICE_UNAVAILABLE', 'auth.v1']);
    assert.equal(await auth.calls('Login', 'UNAVAILABLE'), 1);

    // Retry throttling: once failures have used up the budget, each check is tried once.
    for (let i = 0; i < 5; i++) await client.authorize(token);
    const attempts = await auth.calls('ValidateToken', 'UNAVAILABLE');
    await client.authorize(token);
    assert.equal(await auth.calls('ValidateToken', 'UNAVAILABLE'), attempts + 1);
    client.close();
  });
});

describe('createAuthClient over mutual TLS', () => {
  const certs = makeCertificates();
  let pkg: Package;
  let auth: AuthService;

  before(async () => {
    pkg = await consumerProject().importClient();
    auth = await startAuthService({ TLS_CERT_FILE: certs.file('server.crt'), TLS_KEY_FILE: certs.file('server.key'), TLS_CLIENT_CA_FILE: certs.file('ca.crt') });
  });
  after(async () => {
    await auth?.stop();
    certs.remove();
  });

  it('checks tokens with a client certificate, and cannot without one', async () => {
    const address = auth.server.grpcAddress;
    const trusted = pkg.createAuthClient({ address, deadlineMs: 2000, tls: { ca: certs.pem('ca.crt'), cert: certs.pem('client.crt'), key: certs.pem('client.key') } });
    const anonymous = pkg.createAuthClient({ address, deadlineMs: 2000, tls: { ca: certs.pem('ca.crt') } });
    try {
      const email = 'tls@example.com';
      await trusted.rpc.createUser({ email, password: 'correct horse battery' });
      const { accessToken } = await trusted.rpc.login({ email, password: 'correct horse battery' });
      const verdict = await trusted.authorize(`Bearer ${accessToken?.id}`);
      assert.deepEqual(verdict.ok && verdict.auth, { userId: accessToken?.userId, realm: '', scopes: [] });
      assert.equal((await anonymous.authorize(`Bearer ${accessToken?.id}`)).ok, false);
    } finally {
      trusted.close();
      anonymous.close();
    }
  });
});
