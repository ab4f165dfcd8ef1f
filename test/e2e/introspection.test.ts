// OAuth 2.0 Token Introspection (RFC 7662) and its RFC 8414 metadata against the built server,
// through openid-client (a maintained relying-party library) and by hand where exact bytes matter.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcrypt';
import * as client from 'openid-client';
import { makeCertificates } from '../support/certs.js';
import { logOut, newAccount, resetToken, type Account } from '../support/accounts.js';
import { rawRequest } from '../support/raw-http.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const ORDERS = { id: 'orders-api', secret: 'a1f0c9e3b7d24e5f8a6b0c1d2e3f4a5b' };
/** A client id with a space, and a secret hashed the way `htpasswd -B` writes it ($2y$). */
const BILLING = { id: 'billing api', secret: 'p@ss:word+with/odd=chars' };

const dir = mkdtempSync(join(tmpdir(), 'introspection-'));
const file = (name: string) => join(dir, name);
after(() => rmSync(dir, { recursive: true, force: true }));

function writeClientsFile(): string {
  const lines = [
    '# introspection clients',
    `${ORDERS.id}:${bcrypt.hashSync(ORDERS.secret, 4)}`,
    '',
    `${BILLING.id}:${bcrypt.hashSync(BILLING.secret, 4).replace(/^\$2b\$/, '$2y$')}`,
  ];
  writeFileSync(file('clients'), `${lines.join('\n')}\n`);
  return file('clients');
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('RFC 7662 introspection with HTTP Basic clients', () => {
  let server: ServerProcess;
  let ann: Account;
  let config: client.Configuration;

  before(async () => {
    server = await startServer({ INTROSPECTION_CLIENTS_FILE: writeClientsFile() });
    ann = await newAccount(server, { realm: 'acme', username: 'ann' });
    config = await client.discovery(new URL(server.httpUrl), ORDERS.id, ORDERS.secret, client.ClientSecretBasic(), {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    });
  });

  after(async () => server?.stop());

  async function introspect(body: string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; text: string }> {
    const response = await fetch(`${server.httpUrl}/oauth/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  it('RFC 8414 metadata names the endpoint and how to authenticate; openid-client discovers it', async () => {
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, server.httpUrl);
    assert.equal(metadata.introspection_endpoint, `${server.httpUrl}/oauth/introspect`);
    assert.deepEqual(metadata.introspection_endpoint_auth_methods_supported, ['client_secret_basic']);
  });

  it('an active token: sub, scope, iat, exp, token_type, username and realm', async () => {
    const before = Math.floor(Date.now() / 1000);
    const answer = await client.tokenIntrospection(config, ann.token, { token_type_hint: 'access_token' });
    assert.equal(answer.active, true);
    assert.equal(answer.sub, ann.userId);
    assert.equal(answer.scope, '');
    assert.equal(answer.token_type, 'Bearer');
    assert.equal(answer.username, 'ann');
    assert.equal(answer.realm, 'acme');
    assert.ok(typeof answer.iat === 'number' && Math.abs(answer.iat - before) < 60, String(answer.iat));
    assert.equal(answer.exp, (answer.iat ?? 0) + 1209600);
    assert.deepEqual(Object.keys(answer).sort(), ['active', 'exp', 'iat', 'realm', 'scope', 'sub', 'token_type', 'username']);
  });

  it('any token that is not good is exactly {"active":false}: unknown, revoked, malformed, oversized, a reset token', async () => {
    const revoked = await newAccount(server);
    await logOut(server, revoked.token);
    const reset = await resetToken(server, ann);
    for (const token of ['D'.repeat(64), revoked.token, 'not a token', 'e'.repeat(8 * 1024), reset]) {
      const answer = await introspect(new URLSearchParams({ token }).toString(), { authorization: basic(ORDERS.id, ORDERS.secret) });
      assert.equal(answer.status, 200);
      assert.equal(answer.text, '{"active":false}');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
    }
    assert.deepEqual(await client.tokenIntrospection(config, 'D'.repeat(64)), { active: false });
  });

  it('clients authenticate: form-encoded ids and secrets, $2y$ hashes; anyone else gets 401 invalid_client', async () => {
    const billing = await client.discovery(new URL(server.httpUrl), BILLING.id, BILLING.secret, client.ClientSecretBasic(), {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    });
    assert.equal((await client.tokenIntrospection(billing, ann.token)).active, true);

    const body = new URLSearchParams({ token: ann.token }).toString();
    for (const [name, headers] of [
      ['no credentials', {}],
      ['a wrong secret', { authorization: basic(ORDERS.id, 'wrong') }],
      ['an unknown client', { authorization: basic('nobody', ORDERS.secret) }],
      ['a Bearer token', { authorization: `Bearer ${ann.token}` }],
      ['a Basic value that is not base64', { authorization: 'Basic %%%' }],
      ['no colon', { authorization: `Basic ${Buffer.from('orders-api').toString('base64')}` }],
      ['an 8 KiB secret', { authorization: basic(ORDERS.id, 's'.repeat(8 * 1024)) }],
    ] as Array<[string, Record<string, string>]>) {
      const answer = await introspect(body, headers);
      assert.equal(answer.status, 401, name);
      assert.deepEqual(JSON.parse(answer.text), { error: 'invalid_client' }, name);
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Basic realm="introspection"/, name);
    }
    const twice = await rawRequest(server.httpPort, '/oauth/introspect', [
      ['Authorization', basic(ORDERS.id, ORDERS.secret)],
      ['Authorization', basic(ORDERS.id, ORDERS.secret)],
      ['Content-Type', 'application/x-www-form-urlencoded'],
    ], 'POST', body);
    assert.equal(twice.status, 401);

    const wrong = await client.discovery(new URL(server.httpUrl), ORDERS.id, 'wrong', client.ClientSecretBasic(), { algorithm: 'oauth2', execute: [client.allowInsecureRequests] });
    await assert.rejects(client.tokenIntrospection(wrong, ann.token), (err: unknown) => {
      assert.ok(err instanceof client.WWWAuthenticateChallengeError);
      assert.equal(err.status, 401);
      assert.equal(err.cause[0]?.scheme, 'basic');
      return true;
    });
  });

  it('bad requests from a known client are 400 invalid_request, never 5xx', async () => {
    const authorization = basic(ORDERS.id, ORDERS.secret);
    for (const [name, body, type] of [
      ['no token', '', 'application/x-www-form-urlencoded'],
      ['an empty token', 'token=', 'application/x-www-form-urlencoded'],
      ['two tokens', `token=${ann.token}&token=${ann.token}`, 'application/x-www-form-urlencoded'],
      ['JSON', JSON.stringify({ token: ann.token }), 'application/json'],
      ['malformed JSON', '{"token":', 'application/json'],
      ['another type', 'token', 'text/plain'],
      ['a 32 KiB body', `token=${'x'.repeat(32 * 1024)}`, 'application/x-www-form-urlencoded'],
    ]) {
      const answer = await introspect(body ?? '', { authorization, 'content-type': type ?? '' });
      assert.equal(answer.status, 400, `${name}: ${answer.text}`);
      assert.equal((JSON.parse(answer.text) as { error: string }).error, 'invalid_request', name);
    }
  });
});

describe('RFC 7662 introspection with client certificates (mTLS)', () => {
  let server: ServerProcess;
  let ann: Account;
  const certs = makeCertificates();
  const file = certs.file;

  before(async () => {
    server = await startServer({ TLS_CERT_FILE: file('server.crt'), TLS_KEY_FILE: file('server.key'), TLS_CLIENT_CA_FILE: file('ca.crt') });
    // The REST gateway is HTTPS now; accounts are made over the same mTLS connection.
    ann = await mtlsAccount();
  });

  after(async () => {
    await server?.stop();
    certs.remove();
  });

  function post(path: string, body: string, type: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `https://127.0.0.1:${server.httpPort}${path}`,
        { method: 'POST', ca: readFileSync(file('ca.crt')), cert: readFileSync(file('client.crt')), key: readFileSync(file('client.key')), headers: { 'content-type': type }, agent: false },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async function mtlsAccount(): Promise<Account> {
    const email = `mtls-${Date.now()}@example.com`;
    const user = JSON.parse((await post('/api/users', JSON.stringify({ email, password: 'correct horse 1' }), 'application/json')).text) as { id: string };
    const login = JSON.parse((await post('/api/users/login', JSON.stringify({ email, password: 'correct horse 1' }), 'application/json')).text) as { id: string };
    return { email, userId: user.id, realm: '', username: undefined, token: login.id };
  }

  it('a caller with a certificate the client CA signed needs no secret', async () => {
    const answer = await post('/oauth/introspect', `token=${ann.token}`, 'application/x-www-form-urlencoded');
    assert.equal(answer.status, 200, answer.text);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    assert.equal(body.active, true);
    assert.equal(body.sub, ann.userId);
    assert.equal(body.username, undefined);
    assert.equal(body.realm, undefined);
  });
});
