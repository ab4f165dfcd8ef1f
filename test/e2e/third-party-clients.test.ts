// Clients nobody on this project wrote, against the real server process (dist/main.js, so `npm run build`
// first): grpcurl through server reflection only (no proto files), and grpc-health-probe, the tool that
// Kubernetes-era setups use for health. Both come from scripts/tools.sh (go install, cached).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { grpcurl, tool } from '../support/grpc-tools.js';
import { startMongo, type MongoHandle } from '../support/mongo.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

async function call(address: string, method: string, data: object, headers: string[] = []): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const result = await grpcurl(address, [`auth.v1.AuthService/${method}`], data, headers);
  assert.equal(result.code, 0, `${method} failed (exit ${result.code}):\n${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const RPCS = [
  'ChangePassword',
  'ConfirmEmail',
  'CreateUser',
  'ListSessions',
  'Login',
  'Logout',
  'RequestEmailVerification',
  'ResetPassword',
  'RevokeSession',
  'SetPassword',
  'ValidateToken',
  'StartExternalLogin',
  'CompleteExternalLogin',
  'ExchangeIdToken',
  'LinkExternalIdentity',
  'ListExternalIdentities',
  'UnlinkExternalIdentity',
];
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function suite(storeName: 'memory' | 'mongodb'): void {
  describe(`grpcurl and grpc-health-probe, ${storeName} store`, () => {
    let server: ServerProcess;
    let mongo: MongoHandle | undefined;
    let address = '';

    before(async () => {
      const env: Record<string, string> = {};
      if (storeName === 'mongodb') {
        mongo = await startMongo();
        env.MONGODB_URI = mongo.uri;
        env.MONGODB_DB = mongo.dbName;
      }
      server = await startServer(env);
      address = server.grpcAddress;
    });

    after(async () => {
      const code = await server?.stop('SIGTERM');
      await mongo?.stop();
      assert.equal(code, 0, 'the server exits 0 on SIGTERM');
    });

    if (storeName === 'memory') {
      it('grpcurl list shows the auth, health and reflection services', async () => {
        const result = await grpcurl(address, ['list']);
        assert.equal(result.code, 0, result.stderr);
        const services = result.stdout.trim().split('\n');
        assert.ok(services.includes('auth.v1.AuthService'), result.stdout);
        assert.ok(services.includes('grpc.health.v1.Health'), result.stdout);
        assert.ok(services.some((name) => /^grpc\.reflection\.v1(alpha)?\.ServerReflection$/.test(name)), result.stdout);
      });

      it('grpcurl describe shows every RPC, and the messages with their proto field names', async () => {
        const service = await grpcurl(address, ['describe', 'auth.v1.AuthService']);
        assert.equal(service.code, 0, service.stderr);
        assert.match(service.stdout, /auth\.v1\.AuthService is a service/);
        for (const rpc of RPCS) {
          assert.match(service.stdout, new RegExp(`rpc ${rpc} \\( \\.auth\\.v1\\.${rpc}Request \\) returns \\( \\.auth\\.v1\\.${rpc}Response \\)`), rpc);
        }
        assert.equal(service.stdout.match(/\brpc \w+/g)?.length, RPCS.length);

        const token = await grpcurl(address, ['describe', 'auth.v1.AccessToken']);
        assert.equal(token.code, 0, token.stderr);
        assert.match(token.stdout, /int64 ttl_seconds = 2;/);
        assert.match(token.stdout, /\.google\.protobuf\.Timestamp expires_at = 4;/);
      });

      it('grpcurl calls grpc.health.v1.Health/Check through reflection', async () => {
        const result = await grpcurl(address, ['grpc.health.v1.Health/Check'], { service: 'auth.v1.AuthService' });
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(JSON.parse(result.stdout), { status: 'SERVING' });
      });
    }

    it('CreateUser → Login → ValidateToken → Logout → ValidateToken through reflection', async () => {
      const email = `Grpcurl.${storeName}@Example.com`;
      const password = 'grpcurl-password-1';
      const created = await call(address, 'CreateUser', { email, password, username: `grpcurl_${storeName}` });
      assert.equal(created.user.email, email.toLowerCase());
      assert.equal(created.user.username, `grpcurl_${storeName}`);
      assert.ok(created.user.id, 'user.id');
      assert.match(created.user.created, RFC3339);
      assert.equal(created.user.emailVerified, undefined, 'false is omitted by grpcurl');

      // Proto field names (include_user, ttl_seconds) and JSON names are both accepted.
      const login = await call(address, 'Login', { email, password, include_user: true, ttl_seconds: 3600 });
      const token = login.accessToken.id as string;
      assert.match(token, /^[0-9A-Za-z]{64}$/);
      assert.equal(login.accessToken.ttlSeconds, '3600', 'int64 is a JSON string');
      assert.equal(login.accessToken.userId, created.user.id);
      assert.match(login.accessToken.created, RFC3339);
      assert.match(login.accessToken.expiresAt, RFC3339);
      assert.equal(Date.parse(login.accessToken.expiresAt) - Date.parse(login.accessToken.created), 3600_000);
      assert.equal(login.user.id, created.user.id);

      const valid = await call(address, 'ValidateToken', { accessToken: token });
      assert.equal(valid.active, true);
      assert.equal(valid.userId, created.user.id);
      assert.equal(valid.ttlSeconds, '3600');
      assert.equal(valid.expiresAt, login.accessToken.expiresAt);

      // The token in the authorization metadata instead of the request.
      const logout = await call(address, 'Logout', {}, [`authorization: Bearer ${token}`]);
      assert.deepEqual(logout, { revoked: 1 });

      const after = await call(address, 'ValidateToken', { accessToken: token });
      assert.deepEqual(after, {}, 'active: false is the default, so grpcurl prints {}');

      const again = await grpcurl(address, ['auth.v1.AuthService/Logout'], { accessToken: token });
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /Code: Unauthenticated/);
      assert.match(again.stderr, /"reason": "INVALID_TOKEN"/);
    });

    it('a wrong password: exit code non-zero, Unauthenticated, ErrorInfo LOGIN_FAILED in domain auth.v1', async () => {
      const email = `wrong.${storeName}@example.com`;
      await call(address, 'CreateUser', { email, password: 'right-password-1' });
      const result = await grpcurl(address, ['auth.v1.AuthService/Login'], { email, password: 'wrong-password-1' });
      assert.equal(result.code, 64 + 16, `grpcurl exits 64 + the status code (16, UNAUTHENTICATED):\n${result.stderr}`);
      assert.match(result.stderr, /Code: Unauthenticated/);
      assert.match(result.stderr, /Message: login failed/);
      // grpcurl decodes google.rpc.ErrorInfo from grpc-status-details-bin through reflection.
      assert.match(result.stderr, /"@type": "type\.googleapis\.com\/google\.rpc\.ErrorInfo"/);
      assert.match(result.stderr, /"reason": "LOGIN_FAILED"/, result.stderr);
      assert.match(result.stderr, /"domain": "auth\.v1"/);
      assert.doesNotMatch(result.stderr, /wrong-password-1/);
    });

    it('grpc-health-probe: SERVING overall, for auth.v1.AuthService, and for the liveness check', async () => {
      for (const service of [[], ['-service', 'auth.v1.AuthService'], ['-service', 'liveness']]) {
        const result = await tool('grpc-health-probe', ['-addr', address, '-connect-timeout', '5s', '-rpc-timeout', '5s', ...service]);
        assert.equal(result.code, 0, `grpc-health-probe ${service.join(' ')}: exit ${result.code}\n${result.stderr}${result.stdout}`);
        assert.match(`${result.stdout}${result.stderr}`, /status: SERVING/); // it logs to stderr
      }
      const unknown = await tool('grpc-health-probe', ['-addr', address, '-service', 'no.such.Service']);
      assert.notEqual(unknown.code, 0, 'an unknown service is not healthy');
    });
  });
}

suite('memory');
suite('mongodb');
