import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { consumerProject, type RunningExample } from './support/consumer.js';
import { startAuthService, type AuthService } from './support/service.js';

const CACHE_TTL_MS = 1500;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with node:http, which sends any header value as given (fetch would refuse some). */
function send(port: number, method: string, path: string, authorization?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: authorization === undefined ? {} : { authorization } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const errorCode = (answer: Answer): unknown => (JSON.parse(answer.body) as { error: { code: unknown } }).error.code;

for (const example of ['express-app', 'fastify-app']) {
  describe(`${example} (README) protected by the package from its tarball`, () => {
    let auth: AuthService;
    let app: RunningExample;
    const get = (authorization?: string) => send(app.port, 'GET', '/orders', authorization);

    before(async () => {
      const consumer = consumerProject();
      auth = await startAuthService();
      app = await consumer.start(example, { AUTH_SERVICE_ADDRESS: auth.server.grpcAddress, AUTH_CACHE_TTL_MS: String(CACHE_TTL_MS) });
    });
    after(async () => {
      await app?.stop();
      await auth?.stop();
    });

    it('lets a good token through and hands the route its caller', async () => {
      const { token, userId } = await auth.login();
      for (const authorization of [`Bearer ${token}`, `bearer ${token}`, token]) {
        const answer = await get(authorization);
        assert.equal(answer.status, 200, answer.body);
        assert.deepEqual(JSON.parse(answer.body), { userId, realm: '', orders: [] });
      }
    });

    it('leaves routes outside the protection open', async () => {
      const answer = await send(app.port, 'GET', '/healthz');
      assert.equal(answer.status, 200);
      assert.deepEqual(JSON.parse(answer.body), { ok: true });
    });

    it('answers 401 with a bare Bearer challenge when no token comes', async () => {
      for (const authorization of [undefined, '', 'Bearer', 'Basic dXNlcjpwYXNzd29yZA==']) {
        const answer = await get(authorization);
        assert.equal(answer.status, 401, `${authorization}: ${answer.body}`);
        assert.equal(answer.headers['www-authenticate'], 'Bearer');
        assert.equal(errorCode(answer), 'INVALID_TOKEN');
      }
    });

    it('answers 401 invalid_token for an unknown token', async () => {
      const answer = await get(`Bearer ${'x'.repeat(64)}`);
      assert.equal(answer.status, 401);
      assert.equal(answer.headers['www-authenticate'], 'Bearer error="invalid_token"');
      assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepEqual(JSON.parse(answer.body), { error: { statusCode: 401, name: 'Error', message: 'the access token is not valid', code: 'INVALID_TOKEN' } });
    });

    it('answers 403 insufficient_scope for a good token without the required scope', async () => {
      const { token } = await auth.login();
      const answer = await send(app.port, 'DELETE', '/orders/1', `Bearer ${token}`);
      assert.equal(answer.status, 403, answer.body);
      assert.equal(answer.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="orders:admin"');
      assert.equal(errorCode(answer), 'INSUFFICIENT_SCOPE');
    });

    it('refuses bad and oversized headers without asking the service', async () => {
      const before = await auth.calls('ValidateToken');
      for (const authorization of ['Bearer two tokens', 'Bearer tok"en', 'Bearer ====', `Bearer ${'A'.repeat(8000)}`]) {
        const answer = await get(authorization);
        assert.equal(answer.status, 401, authorization.slice(0, 20));
        assert.equal(answer.headers['www-authenticate'], 'Bearer error="invalid_token"');
      }
      assert.equal(await auth.calls('ValidateToken'), before);
      // Past Node's own header limit (16 KiB) the HTTP server refuses the request before any route.
      assert.equal((await get(`Bearer ${'A'.repeat(20_000)}`)).status, 431);
    });

    it('makes one call for concurrent requests with one token', async () => {
      const { token } = await auth.login();
      const before = await auth.calls('ValidateToken');
      const answers = await Promise.all(Array.from({ length: 20 }, () => get(`Bearer ${token}`)));
      assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
      assert.equal(await auth.calls('ValidateToken'), before + 1);
    });

    it('refuses a revoked token once the cache bound has passed', async () => {
      const { token } = await auth.login();
      assert.equal((await get(`Bearer ${token}`)).status, 200);
      await auth.logout(token);
      await delay(CACHE_TTL_MS);
      assert.equal((await get(`Bearer ${token}`)).status, 401);
    });

    it('keeps no answer past the token expiry, whatever the cache ttl', async () => {
      const { token, expiresAt } = await auth.login(1);
      assert.ok(expiresAt);
      assert.equal((await get(`Bearer ${token}`)).status, 200);
      // Still inside the cache ttl of that answer, but past the token's own end.
      await delay(expiresAt.getTime() - Date.now() + 50);
      assert.equal((await get(`Bearer ${token}`)).status, 401);
    });

    it('fails closed with 503 once the service is stopped', async () => {
      const { token } = await auth.login();
      await auth.stop();
      const answer = await get(`Bearer ${token}`);
      assert.equal(answer.status, 503, answer.body);
      assert.equal(answer.headers['www-authenticate'], undefined);
      assert.equal(errorCode(answer), 'SERVICE_UNAVAILABLE');
    });
  });
}
