/**
 * AdminService end to end: its own port (ADMIN_GRPC_PORT) with its own health and reflection, never the
 * public one; disabled, deleted and revoked accounts seen through gRPC and REST; mTLS on the admin port.
 * grpc-js and grpcurl against the built server, on both stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client as RawClient, credentials, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { AdminServiceClient, type AdminUser } from '../../src/gen/auth/v1/admin.js';
import { makeCertificates, type Certificates } from '../support/certs.js';
import { connect, errorDetails, type Client } from '../support/grpc-client.js';
import { grpcurl, tool } from '../support/grpc-tools.js';
import { startMongo } from '../support/mongo.js';
import { freePort } from '../support/net.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { startWebhookReceiver } from '../support/webhook.js';

const PASSWORD = 'correct horse battery';

type Unary<Req, Res> = (request: Req, metadata: Metadata, options: { deadline: Date }, callback: (err: ServiceError | null, response: Res) => void) => unknown;

/** A promise-returning AdminService client. */
function connectAdmin(address: string, channel: ChannelCredentials = credentials.createInsecure()) {
  const client = new AdminServiceClient(address, channel);
  const call =
    <Req, Res>(method: Unary<Req, Res>) =>
    (request: Req): Promise<Res> =>
      new Promise((resolve, reject) => {
        method.call(client, request, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (err, response) => (err ? reject(err) : resolve(response)));
      });
  return {
    getUser: call(client.getUser),
    findUser: call(client.findUser),
    disableUser: call(client.disableUser),
    enableUser: call(client.enableUser),
    deleteUser: call(client.deleteUser),
    revokeUserSessions: call(client.revokeUserSessions),
    close: () => client.close(),
  };
}

async function rejectsWith(promise: Promise<unknown>, code: status, reason: string): Promise<void> {
  await assert.rejects(promise, (err: ServiceError) => {
    assert.equal(status[err.code], status[code], err.details);
    assert.equal(errorDetails(err).reason, reason);
    return true;
  });
}

function describeAdmin(storeName: string, storeEnv: () => Promise<{ env: Record<string, string>; stop(): Promise<void> }>) {
  describe(`AdminService end to end (${storeName} store)`, () => {
    let server: ServerProcess;
    let client: Client;
    let admin: ReturnType<typeof connectAdmin>;
    let adminAddress = '';
    let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let database: { env: Record<string, string>; stop(): Promise<void> };
    let counter = 0;

    before(async () => {
      database = await storeEnv();
      webhook = await startWebhookReceiver();
      const adminPort = await freePort();
      server = await startServer({ ...database.env, ADMIN_GRPC_PORT: String(adminPort), RESET_WEBHOOK_URL: webhook.url, RESET_WEBHOOK_SECRET: 'secret' });
      adminAddress = `127.0.0.1:${adminPort}`;
      client = connect(server.grpcAddress);
      admin = connectAdmin(adminAddress);
    });

    after(async () => {
      client?.close();
      admin?.close();
      assert.equal(await server?.stop(), 0);
      await webhook?.close();
      await database?.stop();
    });

    async function newUser() {
      const email = `admin${++counter}@example.com`;
      const { user } = await client.createUser({ email, username: `user${counter}`, password: PASSWORD, realm: '' });
      assert.ok(user);
      return { id: user.id, email, username: `user${counter}` };
    }
    const grpcLogin = (email: string) => client.login({ email, username: '', password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: false });
    const restLogin = (email: string) =>
      fetch(`${server.httpUrl}/api/users/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
    const grpcActive = async (accessToken: string) => (await client.validateToken({ accessToken, requiredScopes: [], includeUser: false })).active;
    const restActive = async (accessToken: string) =>
      ((await (await fetch(`${server.httpUrl}/api/tokens/validate`, { method: 'POST', headers: { authorization: accessToken } })).json()) as { active: boolean }).active;

    it('serves AdminService with its own health and reflection on the admin port, and never on the public one', async () => {
      const adminList = await grpcurl(adminAddress, ['list']);
      assert.equal(adminList.code, 0, adminList.stderr);
      assert.deepEqual(adminList.stdout.trim().split('\n').sort(), ['auth.v1.AdminService', 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection']);
      const described = await grpcurl(adminAddress, ['describe', 'auth.v1.AdminService']);
      assert.match(described.stdout, /rpc DisableUser \( \.auth\.v1\.DisableUserRequest \) returns \( \.auth\.v1\.DisableUserResponse \)/);
      assert.equal((await grpcurl(adminAddress, ['describe', 'auth.v1.AuthService'])).code === 0, false, 'the admin port describes only its own service');

      const publicList = await grpcurl(server.grpcAddress, ['list']);
      assert.equal(publicList.stdout.includes('AdminService'), false);
      assert.notEqual((await grpcurl(server.grpcAddress, ['describe', 'auth.v1.AdminService'])).code, 0);
      const raw = new RawClient(server.grpcAddress, credentials.createInsecure());
      const refused = await new Promise<ServiceError | null>((resolve) => {
        raw.makeUnaryRequest('/auth.v1.AdminService/GetUser', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x0a, 0x01, 0x61]), (err) => resolve(err));
      });
      raw.close();
      assert.equal(refused?.code, status.UNIMPLEMENTED);

      const health = await grpcurl(adminAddress, ['grpc.health.v1.Health/Check'], { service: 'auth.v1.AdminService' });
      assert.deepEqual(JSON.parse(health.stdout), { status: 'SERVING' });
      assert.equal((await tool('grpc-health-probe', ['-addr', adminAddress])).code, 0);
      assert.equal((await grpcurl(server.grpcAddress, ['grpc.health.v1.Health/Check'], { service: 'auth.v1.AdminService' })).code === 0, false);
    });

    it('reads users by id, email or username; unknown ones answer NOT_FOUND, an empty id INVALID_ARGUMENT', async () => {
      const user = await newUser();
      await grpcLogin(user.email);
      const { user: found } = await admin.getUser({ userId: user.id });
      assert.deepEqual(
        { ...found, created: undefined } satisfies Partial<AdminUser>,
        { id: user.id, email: user.email, username: user.username, realm: '', emailVerified: false, created: undefined, disabled: false, sessions: 1 },
      );
      assert.deepEqual((await admin.findUser({ email: user.email.toUpperCase(), username: '', realm: '' })).user?.id, user.id);
      assert.deepEqual((await admin.findUser({ email: '', username: user.username.toUpperCase(), realm: '' })).user?.id, user.id);
      await rejectsWith(admin.getUser({ userId: '0'.repeat(24) }), status.NOT_FOUND, 'USER_NOT_FOUND');
      await rejectsWith(admin.findUser({ email: 'nobody@example.com', username: '', realm: '' }), status.NOT_FOUND, 'USER_NOT_FOUND');
      await rejectsWith(admin.getUser({ userId: '' }), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
      const viaGrpcurl = await grpcurl(adminAddress, ['auth.v1.AdminService/GetUser'], { user_id: user.id });
      assert.equal(viaGrpcurl.code, 0, viaGrpcurl.stderr);
      assert.equal((JSON.parse(viaGrpcurl.stdout) as { user: { email: string } }).user.email, user.email);
    });

    it("disables an account: logins fail as LOGIN_FAILED on gRPC and REST, its old tokens are inactive; enabling lets it back in", async () => {
      const user = await newUser();
      const grpcToken = (await grpcLogin(user.email)).accessToken?.id ?? '';
      const restToken = ((await (await restLogin(user.email)).json()) as { id: string }).id;
      const before = webhook.deliveries.length;
      const disabled = await admin.disableUser({ userId: user.id });
      assert.deepEqual([disabled.user?.disabled, disabled.revoked], [true, 2]);
      await rejectsWith(grpcLogin(user.email), status.UNAUTHENTICATED, 'LOGIN_FAILED');
      const rest = await restLogin(user.email);
      assert.equal(rest.status, 401);
      assert.equal(((await rest.json()) as { error: { code: string } }).error.code, 'LOGIN_FAILED');
      for (const token of [grpcToken, restToken]) {
        assert.equal(await grpcActive(token), false);
        assert.equal(await restActive(token), false);
      }
      assert.equal((await webhook.waitFor(before + 1)).body.type, 'user-disabled');

      assert.equal((await admin.enableUser({ userId: user.id })).user?.disabled, false);
      const fresh = (await grpcLogin(user.email)).accessToken?.id ?? '';
      assert.equal(await restActive(fresh), true);
      assert.equal(await grpcActive(grpcToken), false, 'revoked tokens stay revoked');
    });

    it('keeps no token from logins that raced DisableUser', async () => {
      const user = await newUser();
      const logins = Array.from({ length: 10 }, () => grpcLogin(user.email));
      const [disabled, ...results] = await Promise.allSettled([admin.disableUser({ userId: user.id }), ...logins]);
      assert.equal(disabled?.status, 'fulfilled');
      for (const result of results) {
        if (result.status === 'fulfilled') assert.equal(await grpcActive(result.value.accessToken?.id ?? ''), false);
        // Concurrent logins count against the account's lock before they run: some may meet it.
        else assert.ok(['LOGIN_FAILED', 'TOO_MANY_ATTEMPTS'].includes(errorDetails(result.reason as ServiceError).reason ?? ''));
      }
      assert.equal((await admin.getUser({ userId: user.id })).user?.sessions, 0);
    });

    it('revokes every session of a user, and deletes a user with its tokens', async () => {
      const user = await newUser();
      const tokens = [(await grpcLogin(user.email)).accessToken?.id ?? '', (await grpcLogin(user.email)).accessToken?.id ?? ''];
      assert.equal((await admin.revokeUserSessions({ userId: user.id })).revoked, 2);
      for (const token of tokens) assert.equal(await grpcActive(token), false);
      const kept = (await grpcLogin(user.email)).accessToken?.id ?? '';
      assert.equal((await admin.deleteUser({ userId: user.id })).revoked, 1);
      assert.equal(await restActive(kept), false);
      await rejectsWith(grpcLogin(user.email), status.UNAUTHENTICATED, 'LOGIN_FAILED');
      await rejectsWith(admin.deleteUser({ userId: user.id }), status.NOT_FOUND, 'USER_NOT_FOUND');
      // The email is free again.
      await client.createUser({ email: user.email, username: '', password: PASSWORD, realm: '' });
      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      for (const reason of ['admin', 'user-disabled', 'user-deleted']) {
        assert.match(metrics, new RegExp(`^auth_sessions_revoked_total\\{reason="${reason}"\\} [1-9]`, 'm'));
      }
      assert.match(metrics, /^auth_grpc_calls_total\{method="DeleteUser",code="NOT_FOUND"\} 1$/m);
    });
  });
}

describeAdmin('embedded', async () => ({ env: {}, stop: async () => undefined }));
describeAdmin('MongoDB', async () => {
  const mongo = await startMongo();
  return { env: { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName }, stop: () => mongo.stop() };
});

describe('the admin port with TLS', () => {
  let certs: Certificates;
  let server: ServerProcess;
  let adminAddress = '';

  before(async () => {
    certs = makeCertificates();
    const adminPort = await freePort();
    server = await startServer({
      TLS_CERT_FILE: certs.file('server.crt'),
      TLS_KEY_FILE: certs.file('server.key'),
      ADMIN_TLS_CLIENT_CA_FILE: certs.file('ca.crt'),
      ADMIN_GRPC_PORT: String(adminPort),
    });
    adminAddress = `127.0.0.1:${adminPort}`;
  });

  after(async () => {
    await server?.stop();
    certs?.remove();
  });

  it('takes only clients with a certificate of the admin CA, while the public port takes any TLS client', async () => {
    const publicClient = new AdminServiceClient(server.grpcAddress, credentials.createSsl(certs.pem('ca.crt')));
    publicClient.close();
    const anonymous = connectAdmin(adminAddress, credentials.createSsl(certs.pem('ca.crt')));
    await assert.rejects(anonymous.getUser({ userId: 'x' }), (err: ServiceError) => err.code === status.UNAVAILABLE);
    anonymous.close();
    const authenticated = connectAdmin(adminAddress, credentials.createSsl(certs.pem('ca.crt'), certs.pem('client.key'), certs.pem('client.crt')));
    await rejectsWith(authenticated.getUser({ userId: 'x' }), status.NOT_FOUND, 'USER_NOT_FOUND');
    authenticated.close();

    const tlsFlags = ['-cacert', certs.file('ca.crt'), '-max-time', '20'];
    const withCert = await tool('grpcurl', [...tlsFlags, '-cert', certs.file('client.crt'), '-key', certs.file('client.key'), adminAddress, 'list']);
    assert.equal(withCert.code, 0, withCert.stderr);
    assert.match(withCert.stdout, /auth\.v1\.AdminService/);
    assert.notEqual((await tool('grpcurl', [...tlsFlags, adminAddress, 'list'])).code, 0);
    const publicList = await tool('grpcurl', [...tlsFlags, server.grpcAddress, 'list']);
    assert.equal(publicList.code, 0, publicList.stderr);
  });
});
