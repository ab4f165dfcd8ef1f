// Envoy's external authorization API on the gRPC port, against the built server: a client made from
// Envoy's own protos (as Envoy would call it), and grpcurl through reflection.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { logOut, newAccount, resetToken, type Account } from '../support/accounts.js';
import { AUTHORIZATION_SERVICE, connectEnvoy, dynamicMetadata, headersSet, type CheckResponse, type EnvoyClient, type HttpAttributes } from '../support/envoy-client.js';
import { grpcurl, tool } from '../support/grpc-tools.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

/** Renamed from the defaults, to see the settings reach the answer. */
const USER_HEADER = 'x-user-id';
const REALM_HEADER = 'x-auth-realm';
const SCOPES_HEADER = 'x-auth-scopes';

function expectAllowed(response: CheckResponse): void {
  assert.equal(response.status.code, status.OK, JSON.stringify(response));
  assert.equal(response.http_response, 'ok_response');
}

/** A denial: the call itself is OK; its answer tells Envoy what to send the client. */
function expectDenied(response: CheckResponse, httpStatus: 401 | 403, challenge: RegExp, code = httpStatus === 401 ? 'INVALID_TOKEN' : 'INSUFFICIENT_SCOPE'): void {
  assert.equal(response.http_response, 'denied_response', JSON.stringify(response));
  assert.equal(response.status.code, httpStatus === 401 ? status.UNAUTHENTICATED : status.PERMISSION_DENIED);
  const denied = response.denied_response;
  assert.equal(denied?.status.code, httpStatus === 401 ? 'Unauthorized' : 'Forbidden');
  const headers = Object.fromEntries((denied?.headers ?? []).map((option) => [option.header.key, option.header.value]));
  assert.match(headers['www-authenticate'] ?? '', challenge);
  assert.equal(headers['content-type'], 'application/json; charset=utf-8');
  const body = JSON.parse(denied?.body ?? '') as { error: { statusCode: number; name: string; code: string; message: string } };
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'name', 'statusCode']);
  assert.equal(body.error.statusCode, httpStatus);
  assert.equal(body.error.code, code);
}

describe('Envoy ext_authz: envoy.service.auth.v3.Authorization/Check', () => {
  let server: ServerProcess;
  let envoy: EnvoyClient;
  let ann: Account;
  let bob: Account;

  before(async () => {
    server = await startServer({
      AUTHZ_TOKEN_HEADER: 'X-Access-Token',
      AUTHZ_TOKEN_COOKIE: 'session',
      AUTHZ_USER_ID_HEADER: USER_HEADER,
      AUTHZ_REMOVE_AUTHORIZATION: 'true',
    });
    envoy = connectEnvoy(server.grpcAddress);
    ann = await newAccount(server);
    bob = await newAccount(server, { realm: 'acme', username: 'bob' });
  });

  after(async () => {
    envoy?.close();
    await server?.stop();
  });

  const check = (attributes: HttpAttributes) => envoy.check(attributes);
  const bearer = (token: string): HttpAttributes => ({ headers: { authorization: `Bearer ${token}` } });

  it('allows a good token: its user for the upstream over any copy the client sent, the rest removed, dynamic metadata', async () => {
    const forged = { [USER_HEADER]: 'admin', [REALM_HEADER]: 'root', [SCOPES_HEADER]: 'everything' };
    const plain = await check({ headers: { authorization: `Bearer ${ann.token}`, ...forged } });
    expectAllowed(plain);
    assert.deepEqual(headersSet(plain), { [USER_HEADER]: ann.userId });
    assert.ok(plain.ok_response?.headers.every((option) => option.append_action === 'OVERWRITE_IF_EXISTS_OR_ADD'), 'set headers replace the client’s');
    assert.deepEqual(plain.ok_response?.headers_to_remove.sort(), ['authorization', REALM_HEADER, SCOPES_HEADER]);
    assert.deepEqual(dynamicMetadata(plain), { user_id: ann.userId, realm: '', scopes: [] });

    const inRealm = await check({ headers: { authorization: `Bearer ${bob.token}`, ...forged } });
    expectAllowed(inRealm);
    assert.deepEqual(headersSet(inRealm), { [USER_HEADER]: bob.userId, [REALM_HEADER]: 'acme' });
    assert.deepEqual(inRealm.ok_response?.headers_to_remove.sort(), ['authorization', SCOPES_HEADER]);
    assert.deepEqual(dynamicMetadata(inRealm), { user_id: bob.userId, realm: 'acme', scopes: [] });
  });

  it('reads the token raw or as Bearer (any case), from the configured header or cookie, or from raw headers', async () => {
    const sources: HttpAttributes[] = [
      { headers: { authorization: ann.token } },
      { headers: { authorization: `bearer   ${ann.token}` } },
      { headers: { 'x-access-token': ann.token } },
      { headers: { cookie: `theme=dark; session=${ann.token}` } },
      { headers: { authorization: `Bearer ${ann.token}`, cookie: `session=${ann.token}` } },
      { rawHeaders: [['authorization', `Bearer ${ann.token}`]] },
    ];
    for (const attributes of sources) {
      const response = await check(attributes);
      expectAllowed(response);
      assert.equal(headersSet(response)[USER_HEADER], ann.userId, JSON.stringify(attributes));
    }
  });

  it('denies a missing, unknown or revoked token: 401 with its challenge and LoopBack’s error body', async () => {
    expectDenied(await check({ headers: {} }), 401, /^Bearer$/);
    expectDenied(await check({ headers: { cookie: 'theme=dark' } }), 401, /^Bearer$/);
    expectDenied(await check(bearer('A'.repeat(64))), 401, /^Bearer error="invalid_token"$/);
    const account = await newAccount(server);
    await logOut(server, account.token);
    expectDenied(await check(bearer(account.token)), 401, /^Bearer error="invalid_token"$/);
  });

  it('context_extensions.required_scopes: 403 insufficient_scope for a good token without them; exactly the token’s scopes pass', async () => {
    const scoped = (token: string, scopes: string): HttpAttributes => ({ ...bearer(token), contextExtensions: { required_scopes: scopes } });
    expectDenied(await check(scoped(ann.token, 'orders:read')), 403, /^Bearer error="insufficient_scope", scope="orders:read"$/);
    expectDenied(await check(scoped('B'.repeat(64), 'orders:read')), 401, /invalid_token/);

    const reset = await resetToken(server, ann);
    expectDenied(await check(bearer(reset)), 401, /invalid_token/, 'INVALID_TOKEN');
    const allowed = await check(scoped(reset, ' reset-password '));
    expectAllowed(allowed);
    assert.equal(headersSet(allowed)[SCOPES_HEADER], 'reset-password');
    assert.deepEqual(dynamicMetadata(allowed).scopes, ['reset-password']);
  });

  it('bad input is a denial, never an error status', async () => {
    const cases: Array<[string, HttpAttributes, RegExp]> = [
      ['an 8 KiB Authorization', bearer('a'.repeat(8 * 1024)), /invalid_token/],
      ['a 48 KiB Authorization', { headers: { authorization: 'x'.repeat(48 * 1024) } }, /invalid_token/],
      ['an 8 KiB cookie', { headers: { cookie: `session=${'c'.repeat(8 * 1024)}` } }, /invalid_token/],
      ['another scheme', { headers: { authorization: `Basic ${Buffer.from('ann:pw').toString('base64')}` } }, /^Bearer$/],
      ['Bearer and no token', { headers: { authorization: 'Bearer ' } }, /invalid_request/],
      ['bytes that are no token', { headers: { authorization: 'Bearer \u0000\u00ff\ud7ff;=' } }, /invalid_token/],
      ['two Authorization headers, joined by Envoy', { headers: { authorization: `Bearer ${ann.token},Bearer ${bob.token}` } }, /invalid_request/],
      ['two Authorization headers, apart', { rawHeaders: [['authorization', `Bearer ${ann.token}`], ['authorization', `Bearer ${ann.token}`]] }, /invalid_request/],
      ['a token in the header and in the query', { ...bearer(ann.token), path: `/orders?access_token=${ann.token}` }, /invalid_request/],
      ['a token in the query only', { path: `/orders?page=2&access_token=${ann.token}` }, /invalid_request/],
      ['two different tokens (header and cookie)', { headers: { authorization: `Bearer ${ann.token}`, cookie: `session=${bob.token}` } }, /invalid_request/],
    ];
    for (const [name, attributes, challenge] of cases) {
      const response = await check(attributes).catch((err: ServiceError) => assert.fail(`${name}: ${err.code} ${err.message}`));
      assert.equal(response.http_response, 'denied_response', name);
      expectDenied(response, 401, challenge);
    }
  });

  it('a request that is not protobuf, or not UTF-8 where it is read, is INVALID_ARGUMENT, never INTERNAL', async () => {
    const raw = new Client(server.grpcAddress, credentials.createInsecure());
    const send = (bytes: Buffer) =>
      new Promise<ServiceError | null>((resolve) => raw.makeUnaryRequest(`/${AUTHORIZATION_SERVICE}/Check`, (b: Buffer) => b, (b: Buffer) => b, bytes, (err) => resolve(err)));
    try {
      // attributes (1) → request (4) → http (2) → path (4) = 0xff, then a length running past the end.
      const badPath = Buffer.from([0x0a, 0x07, 0x22, 0x05, 0x12, 0x03, 0x22, 0x01, 0xff]);
      for (const bytes of [badPath, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])]) {
        const err = await send(bytes);
        assert.equal(err?.code, status.INVALID_ARGUMENT, err?.message);
      }
      assert.equal(await send(Buffer.alloc(0)), null, 'an empty request is a request without a token: a denial');
    } finally {
      raw.close();
    }
  });

  it('shows in reflection and health; grpcurl calls Check from the descriptors alone', async () => {
    const list = await grpcurl(server.grpcAddress, ['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.split('\n').includes(AUTHORIZATION_SERVICE), list.stdout);
    const described = await grpcurl(server.grpcAddress, ['describe', `${AUTHORIZATION_SERVICE}.Check`]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /rpc Check \( \.envoy\.service\.auth\.v3\.CheckRequest \) returns \( \.envoy\.service\.auth\.v3\.CheckResponse \)/);

    const request = (authorization: string) => ({ attributes: { request: { http: { headers: { authorization } } }, contextExtensions: {} } });
    const allowed = await grpcurl(server.grpcAddress, [`${AUTHORIZATION_SERVICE}/Check`], request(`Bearer ${bob.token}`));
    assert.equal(allowed.code, 0, allowed.stderr);
    const answer = JSON.parse(allowed.stdout) as { okResponse: { headers: Array<{ header: { key: string; value: string } }> } };
    assert.deepEqual(answer.okResponse.headers.map(({ header }) => [header.key, header.value]), [[USER_HEADER, bob.userId], [REALM_HEADER, 'acme']]);
    const denied = await grpcurl(server.grpcAddress, [`${AUTHORIZATION_SERVICE}/Check`], request('Bearer nope'));
    assert.equal(denied.code, 0, denied.stderr);
    assert.equal((JSON.parse(denied.stdout) as { deniedResponse: { status: { code: string } } }).deniedResponse.status.code, 'Unauthorized');

    const health = await tool('grpc-health-probe', ['-addr', server.grpcAddress, '-service', AUTHORIZATION_SERVICE]);
    assert.equal(health.code, 0, health.stderr);
    assert.match(health.stderr, /status: SERVING/);
  });

  it('counts Check calls in the gRPC metrics, denials as OK calls', async () => {
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const count = (code: string) => Number(new RegExp(`^auth_grpc_calls_total\\{method="Check",code="${code}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    assert.ok(count('OK') > 20, metrics);
    assert.equal(count('INTERNAL') + count('UNKNOWN'), 0);
  });
});
