// Forward auth (/auth/verify) against the built server: behind NGINX's auth_request running the
// shipped deploy/nginx files in front of an upstream that echoes what it gets, and called directly
// as Traefik's ForwardAuth calls it.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { logOut, newAccount, resetToken, type Account } from '../support/accounts.js';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { rawRequest, type RawAnswer } from '../support/raw-http.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const NGINX_DIR = fileURLToPath(new URL('../../deploy/nginx/', import.meta.url));
const USER_HEADERS = ['x-auth-user-id', 'x-auth-realm', 'x-auth-scopes'];

interface Echo {
  url: string;
  headers: Record<string, string[]>;
}

/** The identity headers the upstream received, each as its list of values. */
function identityReceived(answer: RawAnswer): Record<string, string[]> {
  assert.equal(answer.status, 200, answer.body);
  const echo = JSON.parse(answer.body) as Echo;
  return Object.fromEntries(USER_HEADERS.flatMap((name) => (echo.headers[name] ? [[name, echo.headers[name]]] : [])));
}

function expectDenial(answer: RawAnswer, status: number, challenge?: RegExp): void {
  assert.equal(answer.status, status, `${answer.status} ${answer.body}`);
  if (challenge) assert.match(answer.headers['www-authenticate'] ?? '', challenge);
}

describe('forward auth behind NGINX auth_request (deploy/nginx)', () => {
  let server: ServerProcess;
  let upstream: EchoUpstream;
  let nginx: Nginx;
  let ann: Account;
  let bob: Account;

  before(async () => {
    server = await startServer({ AUTHZ_TOKEN_COOKIE: 'session' });
    upstream = await startEchoUpstream();
    const protect = (scopes: string) => `set $auth_service_scopes "${scopes}";\n      include ${NGINX_DIR}protect.conf;\n      proxy_pass http://app;`;
    nginx = await startNginx(`
  upstream auth_service { server 127.0.0.1:${server.httpPort}; keepalive 4; }
  upstream app { server 127.0.0.1:${upstream.port}; }
  server {
    listen 127.0.0.1:{{PORT}};
    include ${NGINX_DIR}auth-service.conf;
    location /api/ {
      ${protect('')}
    }
    location /admin/ {
      ${protect('admin')}
    }
    location /reset/ {
      ${protect('reset-password')}
    }
  }`);
    ann = await newAccount(server);
    bob = await newAccount(server, { realm: 'acme' });
  });

  after(async () => {
    await nginx?.stop();
    await upstream?.close();
    await server?.stop();
  });

  const viaNginx = (target: string, headers: Array<[string, string]> = []) => rawRequest(nginx.port, target, headers);
  const bearer = (token: string): [string, string] => ['Authorization', `Bearer ${token}`];

  it('allowed: the upstream gets the request with the user’s headers in place of forged ones', async () => {
    const forged: Array<[string, string]> = [['X-Auth-User-Id', 'admin'], ['X-Auth-Realm', 'root'], ['X-Auth-Scopes', 'everything']];
    assert.deepEqual(identityReceived(await viaNginx('/api/orders?page=2', [bearer(ann.token), ...forged])), { 'x-auth-user-id': [ann.userId] });
    assert.deepEqual(identityReceived(await viaNginx('/api/orders', [bearer(bob.token), ...forged])), { 'x-auth-user-id': [bob.userId], 'x-auth-realm': ['acme'] });
    assert.deepEqual(identityReceived(await viaNginx('/api/orders', [['Cookie', `session=${ann.token}`]])), { 'x-auth-user-id': [ann.userId] });
    const echo = JSON.parse((await viaNginx('/api/orders?page=2', [bearer(ann.token)])).body) as Echo;
    assert.equal(echo.url, '/api/orders?page=2');
    assert.deepEqual(echo.headers.authorization, [`Bearer ${ann.token}`]);
  });

  it('denied: 401 with the Bearer challenge, and the upstream never sees the request', async () => {
    const before = upstream.hits();
    expectDenial(await viaNginx('/api/orders'), 401, /^Bearer$/);
    expectDenial(await viaNginx('/api/orders', [bearer('C'.repeat(64))]), 401, /^Bearer error="invalid_token"$/);
    const account = await newAccount(server);
    await logOut(server, account.token);
    expectDenial(await viaNginx('/api/orders', [bearer(account.token), ['X-Auth-User-Id', account.userId]]), 401, /invalid_token/);
    assert.equal(upstream.hits(), before);
  });

  it('scopes: 403 for a good token without the location’s scopes; a token with exactly them passes', async () => {
    expectDenial(await viaNginx('/admin/users', [bearer(ann.token)]), 403);
    expectDenial(await viaNginx('/reset/', [bearer(ann.token)]), 403);
    const reset = await resetToken(server, ann);
    assert.deepEqual(identityReceived(await viaNginx('/reset/', [bearer(reset), ['X-Auth-Scopes', 'admin']])), {
      'x-auth-user-id': [ann.userId],
      'x-auth-scopes': ['reset-password'],
    });
    expectDenial(await viaNginx('/api/orders', [bearer(reset)]), 401, /invalid_token/);
  });

  it('bad input: a denial (or NGINX’s own 400), never a 5xx, never the upstream', async () => {
    const before = upstream.hits();
    const nginxRefuses = undefined;
    const cases: Array<[string, string, Array<[string, string]>, number, RegExp | undefined]> = [
      // NGINX answers these itself, before any subrequest.
      ['two Authorization headers', '/api/orders', [bearer(ann.token), bearer(ann.token)], 400, nginxRefuses],
      ['an 8 KiB Authorization', '/api/orders', [bearer('a'.repeat(8 * 1024))], 400, nginxRefuses],
      ['a 32 KiB cookie', '/api/orders', [['Cookie', `session=${'s'.repeat(32 * 1024)}`]], 400, nginxRefuses],
      ['a token in the header and the query', `/api/orders?access_token=${ann.token}`, [bearer(ann.token)], 401, /^Bearer error="invalid_request"/],
      ['a token in the query', `/api/orders?access_token=${ann.token}`, [], 401, /^Bearer error="invalid_request"/],
      ['another scheme', '/api/orders', [['Authorization', 'Basic YW5uOnB3']], 401, /^Bearer$/],
      ['a 6 KiB Authorization', '/api/orders', [bearer('a'.repeat(6 * 1024))], 401, /^Bearer error="invalid_token"$/],
      ['a header and a cookie with different tokens', '/api/orders', [bearer(ann.token), ['Cookie', `session=${bob.token}`]], 401, /^Bearer error="invalid_request"/],
    ];
    for (const [name, target, headers, status, challenge] of cases) {
      const answer = await viaNginx(target, headers);
      assert.equal(answer.status, status, `${name}: ${answer.status} ${answer.body.slice(0, 200)}`);
      if (challenge) assert.match(answer.headers['www-authenticate'] ?? '', challenge, name);
    }
    assert.equal(upstream.hits(), before);
    assert.doesNotMatch(nginx.errors(), /auth request unexpected status/);
  });
});

describe('forward auth called directly (as Traefik ForwardAuth calls it)', () => {
  let server: ServerProcess;
  let ann: Account;

  before(async () => {
    server = await startServer({ AUTHZ_REALM_HEADER: 'x-tenant' });
    ann = await newAccount(server, { realm: 'acme' });
  });

  after(async () => server?.stop());

  const verify = (headers: Array<[string, string]>, target = '/auth/verify', method = 'GET') => rawRequest(server.httpPort, target, headers, method);

  it('any method: 200 with the user’s headers (renamed by configuration), no body, not cacheable', async () => {
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const answer = await verify([['Authorization', `Bearer ${ann.token}`], ['X-Forwarded-Method', 'DELETE'], ['X-Forwarded-Uri', '/orders/7']], '/auth/verify', method);
      assert.equal(answer.status, 200, `${method}: ${answer.body}`);
      assert.equal(answer.headers['x-auth-user-id'], ann.userId);
      assert.equal(answer.headers['x-tenant'], 'acme');
      assert.equal(answer.headers['x-auth-scopes'], undefined);
      assert.equal(answer.headers['cache-control'], 'no-store');
      assert.equal(answer.body, '');
    }
  });

  it('401 and 403 carry a challenge and LoopBack’s error body', async () => {
    const denied = await verify([['Authorization', 'Bearer nope']]);
    expectDenial(denied, 401, /^Bearer error="invalid_token"$/);
    assert.deepEqual(JSON.parse(denied.body), { error: { statusCode: 401, name: 'Error', message: 'invalid or expired access token', code: 'INVALID_TOKEN' } });
    const forbidden = await verify([['Authorization', ann.token]], '/auth/verify?scopes=orders:read+orders:write');
    expectDenial(forbidden, 403, /^Bearer error="insufficient_scope", scope="orders:read orders:write"$/);
    assert.equal((JSON.parse(forbidden.body) as { error: { code: string } }).error.code, 'INSUFFICIENT_SCOPE');
  });

  it('bad input: a denial or a 4xx from HTTP itself, never a 5xx', async () => {
    const cases: Array<[string, Array<[string, string]>, string]> = [
      ['no header', [], '/auth/verify'],
      ['two Authorization headers', [['Authorization', ann.token], ['Authorization', ann.token]], '/auth/verify'],
      ['a token in the forwarded URI', [['Authorization', ann.token], ['X-Forwarded-Uri', `/orders?access_token=${ann.token}`]], '/auth/verify'],
      ['a token in its own query', [['Authorization', ann.token]], `/auth/verify?access_token=${ann.token}`],
      ['another scheme', [['Authorization', 'Digest username="ann"']], '/auth/verify'],
      ['an 8 KiB Authorization', [['Authorization', `Bearer ${'x'.repeat(8 * 1024)}`]], '/auth/verify'],
      ['a 15 KiB Authorization', [['Authorization', `Bearer ${'x'.repeat(15 * 1024)}`]], '/auth/verify'],
      ['scopes twice', [['Authorization', ann.token]], '/auth/verify?scopes=a&scopes=b'],
      ['control characters', [['Authorization', 'Bearer \u0001\u007f']], '/auth/verify'],
    ];
    for (const [name, headers, target] of cases) {
      const answer = await verify(headers, target);
      assert.ok(answer.status >= 400 && answer.status < 500, `${name}: ${answer.status} ${answer.body.slice(0, 200)}`);
      assert.notEqual(answer.headers['x-auth-user-id'], ann.userId, name);
    }
    // Past Node's 16 KiB of headers, HTTP itself refuses: 431, or a reset if the answer loses the race with it.
    const huge = await verify([['Authorization', `Bearer ${'x'.repeat(64 * 1024)}`]]).catch((err: NodeJS.ErrnoException) => err.code);
    assert.ok(huge === 'ECONNRESET' || (typeof huge === 'object' && huge.status === 431), JSON.stringify(huge));
  });
});
