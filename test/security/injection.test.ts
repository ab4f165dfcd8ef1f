/**
 * Injection and malformed input, case by case: the classic payloads on every REST route and gRPC
 * RPC, each with the exact answer docs/contract.md gives it. Runs once per store against the built server
 * (`npm run build` first). fuzz.test.ts throws random inputs; this file names the ones an attacker
 * tries first, so that a regression reads as one failing line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { errorDetails } from '../support/grpc-client.js';
import {
  assertDocumentsWellFormed,
  assertKnownUsersIntact,
  checkGrpcOutcome,
  checkRestAnswer,
  createKnownUsers,
  encodeMessage,
  errorLogLines,
  int,
  RawGrpcClient,
  REST_ROUTES,
  SECURITY_SERVER_ENV,
  sendHttp,
  STORES,
  str,
  type GrpcOutcome,
  type HttpAnswer,
  type KnownUser,
  type Rpc,
  type StoreEnv,
  type WireField,
} from './support.js';

const MB = 1024 * 1024;
/** A token-shaped string no one holds. */
const UNKNOWN_TOKEN = 'A'.repeat(64);
/** The operator bodies of LoopBack-era NoSQL injection write-ups. */
const NE = { $ne: null };

// ---- REST helpers

interface RestRequest {
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded, exactly as written. */
  form?: string;
  raw?: Buffer | string;
  contentType?: string;
  headers?: Record<string, string>;
  method?: string;
}

/** A route's path with the query string, as sent. */
async function rest(server: ServerProcess, pathAndQuery: string, request: RestRequest = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...request.headers };
  let body: Buffer | string | undefined;
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  } else if (request.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = request.form;
  } else if (request.raw !== undefined) {
    body = request.raw;
  }
  if (request.contentType) headers['content-type'] = request.contentType;
  const answer = await sendHttp(server.httpUrl, { method: request.method ?? 'POST', path: pathAndQuery, headers, body });
  const route = REST_ROUTES.find((candidate) => candidate.path === pathAndQuery.split('?')[0]);
  assert.ok(route, pathAndQuery);
  checkRestAnswer(route, answer, JSON.stringify(request).slice(0, 300));
  return answer;
}

function expectRest(answer: HttpAnswer, statusCode: number, code?: string): void {
  assert.equal(answer.status, statusCode, answer.text.slice(0, 300));
  if (code !== undefined) assert.equal((answer.json as { error: { code: string } }).error.code, code, answer.text.slice(0, 300));
}

// ---- gRPC helpers: messages are encoded by hand, so that any byte can be sent.

type Text = string | Uint8Array;
const loginRequest = (f: { email?: Text; username?: Text; password?: Text; realm?: Text; ttl?: bigint | number }): WireField[] => [
  ...(f.email !== undefined ? [str(1, f.email)] : []),
  ...(f.username !== undefined ? [str(2, f.username)] : []),
  ...(f.password !== undefined ? [str(3, f.password)] : []),
  ...(f.realm !== undefined ? [str(4, f.realm)] : []),
  ...(f.ttl !== undefined ? [int(5, f.ttl)] : []),
];
const createUserRequest = (f: { email?: Text; username?: Text; password?: Text; realm?: Text }): WireField[] => [
  ...(f.email !== undefined ? [str(1, f.email)] : []),
  ...(f.username !== undefined ? [str(2, f.username)] : []),
  ...(f.password !== undefined ? [str(3, f.password)] : []),
  ...(f.realm !== undefined ? [str(4, f.realm)] : []),
];
/** Invalid UTF-8: a lone 0xFF, and an encoded surrogate (ED A0 80), which UTF-8 forbids. */
const withInvalidUtf8 = (before: string, after: string, bytes = [0xff]) => Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);

function expectGrpcError(outcome: GrpcOutcome, code: status, reason: string | undefined): void {
  assert.ok(outcome.err, `expected ${status[code]} ${reason}, got OK ${JSON.stringify(outcome.response)}`);
  assert.equal(status[outcome.err.code], status[code], outcome.err.details);
  assert.equal(errorDetails(outcome.err).reason, reason, outcome.err.details);
}

function expectGrpcOk<T>(outcome: GrpcOutcome): T {
  assert.equal(outcome.err, null, outcome.err ? `${status[outcome.err.code]} ${outcome.err.details}` : '');
  return outcome.response as T;
}

// =============================================================================================

function describeInjection(storeName: string, startStore: () => Promise<StoreEnv>): void {
  describe(`injection and malformed input, case by case (${storeName} store)`, () => {
    let store: StoreEnv;
    let server: ServerProcess;
    let raw: RawGrpcClient;
    let known: KnownUser[];
    let admin: KnownUser;
    let accounts = 0;

    before(async () => {
      store = await startStore();
      server = await startServer({ ...store.env, ...SECURITY_SERVER_ENV });
      raw = new RawGrpcClient(server.grpcAddress);
      known = await createKnownUsers(server.grpcAddress);
      admin = known[0] as KnownUser;
    });

    after(async () => {
      raw?.close();
      await server?.stop('SIGKILL');
      await store?.stop();
    });

    /** Sends a hand-made request, checks the answer is in the table, returns it. */
    async function grpc(rpc: Rpc, fields: WireField[] | Buffer, authorization?: string): Promise<GrpcOutcome> {
      const message = Buffer.isBuffer(fields) ? fields : encodeMessage(fields);
      const outcome = await raw.call(rpc, message, authorization);
      checkGrpcOutcome(rpc, outcome, message.length, `${message.length} bytes`);
      return outcome;
    }

    /** A throwaway account (the known ones must stay untouched), with a session. */
    async function freshAccount(password = 'fresh account password') {
      const email = `fresh-${++accounts}@example.com`;
      expectGrpcOk(await grpc('CreateUser', createUserRequest({ email, password })));
      const { accessToken } = expectGrpcOk<{ accessToken: { id: string } }>(await grpc('Login', loginRequest({ email, password })));
      return { email, password, token: accessToken.id };
    }

    describe('POST /api/users/login', () => {
      const login = (request: RestRequest, query = '') => rest(server, `/api/users/login${query}`, request);

      test('operator objects in place of strings are 400 with the field’s code, never a login', async () => {
        expectRest(await login({ json: { email: NE, password: 'x' } }), 400, 'INVALID_EMAIL');
        expectRest(await login({ json: { email: NE, password: NE } }), 400, 'INVALID_EMAIL');
        expectRest(await login({ json: { email: { $gt: '' }, password: 'x' } }), 400, 'INVALID_EMAIL');
        expectRest(await login({ json: { email: { $regex: '.*' }, password: admin.password } }), 400, 'INVALID_EMAIL');
        expectRest(await login({ json: { email: { $in: [admin.email] }, password: admin.password } }), 400, 'INVALID_EMAIL');
        expectRest(await login({ json: { email: admin.email, password: NE } }), 400, 'PASSWORD_REQUIRED');
        expectRest(await login({ json: { username: { $regex: '.*' }, password: 'x' } }), 400, 'INVALID_ARGUMENT');
        expectRest(await login({ json: { username: admin.username, password: admin.password, realm: { $ne: 'x' } } }), 400, 'INVALID_ARGUMENT');
        expectRest(await login({ json: { email: admin.email, password: admin.password, $where: '1 == 1' } }), 200);
      });

      test('arrays, numbers and booleans where strings belong are 400', async () => {
        expectRest(await login({ json: { email: admin.email, password: ['a'] } }), 400, 'PASSWORD_REQUIRED');
        expectRest(await login({ json: { email: [admin.email], password: admin.password } }), 400, 'INVALID_EMAIL');
        expectRest(await login({ json: { email: 1, password: admin.password } }), 400, 'INVALID_EMAIL');
        expectRest(await login({ json: { email: admin.email, password: true } }), 400, 'PASSWORD_REQUIRED');
        expectRest(await login({ json: { username: ['admin'], password: admin.password } }), 400, 'INVALID_ARGUMENT');
      });

      test('a ttl that is not an allowed integer is 400 INVALID_TTL', async () => {
        const valid = { email: admin.email, password: admin.password };
        expectRest(await login({ json: { ...valid, ttl: 'abc' } }), 400, 'INVALID_TTL');
        expectRest(await login({ json: { ...valid, ttl: '10' } }), 400, 'INVALID_TTL');
        expectRest(await login({ json: { ...valid, ttl: 1.5 } }), 400, 'INVALID_TTL');
        expectRest(await login({ json: { ...valid, ttl: { $gt: 0 } } }), 400, 'INVALID_TTL');
        expectRest(await login({ json: { ...valid, ttl: 1e21 } }), 400, 'INVALID_TTL');
        expectRest(await login({ json: { ...valid, ttl: -2 } }), 400, 'INVALID_TTL');
        expectRest(await login({ form: `email=${encodeURIComponent(admin.email)}&password=${encodeURIComponent(admin.password)}&ttl=abc` }), 400, 'INVALID_TTL');
      });

      test('usernames are letters, digits and ._- only: `$where`, regex and path syntax are 400', async () => {
        for (const username of ['$where', '.*', '^admin', 'admin|root', 'admin\u0000', 'name:admin', 'a'.repeat(65)]) {
          expectRest(await login({ json: { username, password: admin.password } }), 400, 'INVALID_ARGUMENT');
        }
      });

      test('emails with NUL, control characters or no valid shape are 400 INVALID_EMAIL', async () => {
        for (const email of ['a@b.c\u0000', `${admin.email}\u0000`, `admin\u0000@example.com`, 'admin\n@example.com', 'a\u007f@b.c', 'no-at-sign', '@example.com', 'a@b', 'x'.repeat(300) + '@example.com']) {
          const answer = await login({ json: { email, password: admin.password } });
          assert.equal(answer.status, 400, `${JSON.stringify(email)}: ${answer.text}`);
          expectRest(answer, 400, 'INVALID_EMAIL');
        }
        // Leading and trailing white space is trimmed (contract), so this one is admin's address.
        expectRest(await login({ json: { email: `${admin.email}\n`, password: admin.password } }), 200);
      });

      test('regex-looking emails are plain strings: no account matches them', async () => {
        // Well-formed addresses that would match admin as patterns: login failed.
        for (const email of ['.*@example.com', '^admin@example.com', 'adm.n@example.com', '$where@example.com', 'admin|.*@example.com']) {
          expectRest(await login({ json: { email, password: admin.password } }), 401, 'LOGIN_FAILED');
        }
        // Patterns that are not addresses at all (a domain is letters, digits, `.`, `-`, `_` after IDNA).
        for (const email of ['admin@.*', '.*', '^.*$', '^admin@example.com$', 'admin@example.com|.*', 'admin@example.c[o]m', 'admin@example.*']) {
          expectRest(await login({ json: { email, password: admin.password } }), 400, 'INVALID_EMAIL');
        }
      });

      test('lookalikes of admin@example.com with admin’s password do not log in; case, width and spaces do (contract)', async () => {
        for (const email of ['\u0430dmin@example.com', 'admin@ex\u0430mple.com', 'admin@example.com\u200b', 'a\u00addmin@example.com', 'admin\u202e@example.com', 'admın@example.com', 'admin@example.com.']) {
          const answer = await login({ json: { email, password: admin.password } });
          assert.ok(answer.status === 401 || answer.status === 400, `${JSON.stringify(email)}: ${answer.status}`);
          if (answer.status === 400) expectRest(answer, 400, 'INVALID_EMAIL');
          else expectRest(answer, 401, 'LOGIN_FAILED');
        }
        expectRest(await login({ json: { email: ' ADMIN@Example.COM\t', password: admin.password } }), 200);
        // Full-width letters are the same letters (NFKC): admin's own address.
        expectRest(await login({ json: { email: '\uff41dmin@ｅｘａｍｐｌｅ.com', password: admin.password } }), 200);
      });

      test('1 MB values are 413; a 10 KB email is 400 INVALID_EMAIL', async () => {
        expectRest(await login({ json: { email: `${'a'.repeat(MB)}@example.com`, password: 'x' } }), 413, 'PAYLOAD_TOO_LARGE');
        expectRest(await login({ json: { email: admin.email, password: 'p'.repeat(MB) } }), 413, 'PAYLOAD_TOO_LARGE');
        expectRest(await login({ json: { email: `${'a'.repeat(10_000)}@example.com`, password: 'x' } }), 400, 'INVALID_EMAIL');
      });

      test('form bodies: qs-style operators are plain keys, repeated fields are 400', async () => {
        // `email[$ne]=` would be {email: {$ne: ...}} under the qs parser; here it is an unknown key.
        expectRest(await login({ form: 'email[$ne]=x&password[$ne]=x' }), 400, 'USERNAME_EMAIL_REQUIRED');
        expectRest(await login({ form: `email=${encodeURIComponent(admin.email)}&password[$ne]=x` }), 400, 'PASSWORD_REQUIRED');
        expectRest(await login({ form: `email=${encodeURIComponent(admin.email)}&email=x%40y.z&password=x` }), 400, 'INVALID_EMAIL');
        expectRest(await login({ form: `email=a%00%40b.c&password=x` }), 400, 'INVALID_EMAIL');
        expectRest(await login({ form: `email=%FF%FE&password=x` }), 400, 'INVALID_EMAIL');
      });

      test('malformed, prototype-polluting, non-object and non-UTF-8 bodies are 400; other media types 415', async () => {
        expectRest(await login({ raw: '{"email":', contentType: 'application/json' }), 400, 'INVALID_ARGUMENT');
        expectRest(await login({ raw: '{"__proto__":{"admin":true},"email":"a@b.co","password":"x"}', contentType: 'application/json' }), 400, 'INVALID_ARGUMENT');
        expectRest(await login({ raw: '{"constructor":{"prototype":{"admin":true}}}', contentType: 'application/json' }), 400, 'INVALID_ARGUMENT');
        expectRest(await login({ json: [admin.email, admin.password] }), 400, 'INVALID_ARGUMENT');
        expectRest(await login({ json: 'admin@example.com' }), 400, 'INVALID_ARGUMENT');
        expectRest(await login({ raw: '[' .repeat(8000), contentType: 'application/json' }), 400, 'INVALID_ARGUMENT');
        // Invalid UTF-8 decodes to U+FFFD: an address no one has, the normal failure.
        expectRest(await login({ raw: Buffer.from([...Buffer.from('{"email":"a'), 0xff, ...Buffer.from(`@b.co","password":"x"}`)]), contentType: 'application/json' }), 401, 'LOGIN_FAILED');
        expectRest(await login({ raw: 'email=a@b.co', contentType: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
        expectRest(await login({ raw: '<email>a@b.co</email>', contentType: 'application/xml' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
        expectRest(await login({}), 400, 'USERNAME_EMAIL_REQUIRED');
      });

      test('the include query parameter takes only "user"', async () => {
        const valid = { email: admin.email, password: admin.password };
        expectRest(await login({ json: valid }, '?include=user&include=user'), 400, 'INVALID_ARGUMENT');
        expectRest(await login({ json: valid }, '?include=.*'), 400, 'INVALID_ARGUMENT');
        expectRest(await login({ json: valid }, '?include[$ne]=x'), 200);
        expectRest(await login({ json: valid }, '?filter[where][email][$ne]=x'), 200);
      });
    });

    describe('tokens on REST: query parameter, headers, body', () => {
      test('access_token as an array (?access_token=a&access_token=b) is 400, never 500', async () => {
        expectRest(await rest(server, `/api/users/logout?access_token=a&access_token=b`), 400, 'INVALID_ARGUMENT');
        expectRest(await rest(server, `/api/users/logout?access_token=${admin.token}&access_token=${admin.token}`), 400, 'INVALID_ARGUMENT');
        expectRest(await rest(server, `/api/tokens/validate?access_token=a&access_token=b`), 400, 'INVALID_ARGUMENT');
        expectRest(await rest(server, `/api/users/change-password?access_token=a&access_token=b`, { json: { oldPassword: 'x', newPassword: 'y'.repeat(10) } }), 400, 'INVALID_ARGUMENT');
      });

      test('operator-like and malformed tokens are 401 INVALID_TOKEN on every token route', async () => {
        for (const path of ['/api/users/logout', '/api/users/change-password', '/api/users/reset-password']) {
          const body = { json: { oldPassword: 'old password', newPassword: 'new password 1' } };
          expectRest(await rest(server, `${path}?access_token[$ne]=1`, body), 401, 'INVALID_TOKEN');
          expectRest(await rest(server, `${path}?access_token=%FF`, body), 401, 'INVALID_TOKEN');
          expectRest(await rest(server, `${path}?access_token=.*`, body), 401, 'INVALID_TOKEN');
          expectRest(await rest(server, path, { ...body, headers: { authorization: '{"$ne":null}' } }), 401, 'INVALID_TOKEN');
          expectRest(await rest(server, path, { ...body, headers: { authorization: `Bearer ${admin.token.slice(0, 32)}.*` } }), 401, 'INVALID_TOKEN');
          expectRest(await rest(server, path, { ...body, headers: { 'x-access-token': admin.token.toLowerCase() } }), 401, 'INVALID_TOKEN');
        }
      });

      test('validate answers active:false for operator-like, regex and near-miss tokens, 400 for wrong types', async () => {
        const validate = (json: unknown, query = '') => rest(server, `/api/tokens/validate${query}`, { json });
        for (const accessToken of ['.*', '{"$ne":null}', '$where', UNKNOWN_TOKEN, `${admin.token}\u0000`, admin.token.toLowerCase(), `${admin.token} x`, admin.token.slice(1)]) {
          const answer = await validate({ accessToken });
          expectRest(answer, 200);
          assert.deepEqual(answer.json, { active: false }, JSON.stringify(accessToken));
        }
        expectRest(await validate({ accessToken: NE }), 400, 'INVALID_ARGUMENT');
        expectRest(await validate({ accessToken: [admin.token] }), 400, 'INVALID_ARGUMENT');
        expectRest(await validate({ accessToken: admin.token, requiredScopes: NE }), 400, 'INVALID_ARGUMENT');
        expectRest(await validate({ accessToken: admin.token, requiredScopes: [NE] }), 400, 'INVALID_ARGUMENT');
        assert.deepEqual((await validate({ accessToken: admin.token, requiredScopes: ['reset-password'] })).json, { active: false });
        assert.equal(((await validate({ accessToken: admin.token })).json as { active: boolean }).active, true);
      });
    });

    describe('POST /api/users/reset, /reset-password, /change-password, /api/users', () => {
      test('reset: wrong types are 400, operator-looking strings are just addresses (204)', async () => {
        const reset = (json: unknown) => rest(server, '/api/users/reset', { json });
        expectRest(await reset({ email: NE }), 400, 'INVALID_EMAIL');
        expectRest(await reset({ email: [admin.email] }), 400, 'INVALID_EMAIL');
        expectRest(await reset({ email: admin.email, realm: NE }), 400, 'INVALID_ARGUMENT');
        expectRest(await reset({ email: admin.email, realm: 'tenant\u0000' }), 400, 'INVALID_ARGUMENT');
        expectRest(await reset({ email: 'a@b.c\u0000' }), 400, 'INVALID_EMAIL');
        expectRest(await reset({ email: '.*@example.com' }), 204);
        expectRest(await reset({ email: `${'a'.repeat(MB)}@example.com` }), 413, 'PAYLOAD_TOO_LARGE');
      });

      test('reset-password: an access token is not a reset token; wrong types are 400', async () => {
        const headers = { authorization: `Bearer ${admin.token}` };
        expectRest(await rest(server, '/api/users/reset-password', { json: { newPassword: 'taken over 1' }, headers }), 401, 'INVALID_TOKEN');
        expectRest(await rest(server, '/api/users/reset-password', { json: { newPassword: NE }, headers }), 400, 'PASSWORD_REQUIRED');
        expectRest(await rest(server, '/api/users/reset-password', { json: { newPassword: ['a'.repeat(10)] }, headers }), 400, 'PASSWORD_REQUIRED');
      });

      test('change-password: operator old passwords are 400 and change nothing', async () => {
        const account = await freshAccount();
        const headers = { authorization: account.token };
        const change = (json: unknown) => rest(server, '/api/users/change-password', { json, headers });
        expectRest(await change({ oldPassword: NE, newPassword: 'attacker password' }), 400, 'PASSWORD_REQUIRED');
        expectRest(await change({ oldPassword: { $regex: '.*' }, newPassword: 'attacker password' }), 400, 'PASSWORD_REQUIRED');
        expectRest(await change({ oldPassword: account.password, newPassword: NE }), 400, 'PASSWORD_REQUIRED');
        expectRest(await change({ oldPassword: '.*', newPassword: 'attacker password' }), 400, 'INVALID_PASSWORD');
        expectRest(await rest(server, '/api/users/login', { json: { email: account.email, password: account.password } }), 200);
      });

      test('create: operator values and path-like usernames are 400; taken emails 422 whatever their case', async () => {
        const create = (json: unknown) => rest(server, '/api/users', { json });
        const password = 'a good password';
        expectRest(await create({ email: NE, password }), 400, 'INVALID_EMAIL');
        expectRest(await create({ email: 'x1@example.com', password: NE }), 400, 'PASSWORD_REQUIRED');
        expectRest(await create({ email: 'x1@example.com', password, username: NE }), 400, 'INVALID_ARGUMENT');
        expectRest(await create({ email: 'x1@example.com', password, realm: NE }), 400, 'INVALID_ARGUMENT');
        expectRest(await create({ email: 'x1@example.com', password, username: '$where' }), 400, 'INVALID_ARGUMENT');
        expectRest(await create({ email: 'x1@example.com', password, username: 'a.$b' }), 400, 'INVALID_ARGUMENT');
        expectRest(await create({ email: 'x1@example.com', password, realm: '\u0000' }), 400, 'INVALID_ARGUMENT');
        expectRest(await create({ email: 'x1@example.com', password, realm: 'x'.repeat(65) }), 400, 'INVALID_ARGUMENT');
        expectRest(await create({ email: 'x1@example.com', password, realm: '$tenant' }), 400, 'INVALID_ARGUMENT');
        expectRest(await create({ email: 'ADMIN@EXAMPLE.COM', password }), 422, 'EMAIL_EXISTS');
        expectRest(await create({ email: 'x2@example.com', password, username: 'admin' }), 422, 'USERNAME_EXISTS');
        expectRest(await create({ email: 'x3@example.com', password: 'é'.repeat(37) }), 422, 'PASSWORD_TOO_LONG');
        expectRest(await create({ email: 'x4@example.com', password: 'p'.repeat(MB) }), 413, 'PAYLOAD_TOO_LARGE');
      });

      test('create: a lookalike of a known email is a different account, which cannot enter the known one', async () => {
        const lookalike = '\u0430dmin@example.com'; // Cyrillic а
        const created = await rest(server, '/api/users', { json: { email: lookalike, password: 'lookalike password' } });
        expectRest(created, 200);
        assert.notEqual((created.json as { id: string }).id, admin.id);
        expectRest(await rest(server, '/api/users/login', { json: { email: lookalike, password: admin.password } }), 401, 'LOGIN_FAILED');
        expectRest(await rest(server, '/api/users/login', { json: { email: admin.email, password: 'lookalike password' } }), 401, 'LOGIN_FAILED');
      });

      test('create: an email with a lone surrogate (\\ud800, not Unicode text) is 400 INVALID_EMAIL', async () => {
        // Realms already refuse ill-formed strings (checkRealm); emails must too, or the stored
        // address differs from the one given (MongoDB's BSON writes U+FFFD in its place).
        expectRest(await rest(server, '/api/users', { json: { email: '\ud800@example.com', password: 'a good password' } }), 400, 'INVALID_EMAIL');
      });
    });

    describe('passwords with NUL: bcrypt’s limits are refused, never silently applied (contract)', () => {
      // bcrypt cycles its key, with a NUL after it, to 72 bytes: "abcd", "abcd\0abcd" and
      // "abcd\0abcd\0abcd" give the same hash, and any run of NULs hashes like the empty password.
      // An account must never open to a password other than its own.
      test('an account whose password holds NUL opens only to that exact password', async () => {
        for (const password of ['abcd\u0000abcd', '\u0000'.repeat(8), 'password\u0000']) {
          const email = `nul-${++accounts}@example.com`;
          const created = await rest(server, '/api/users', { json: { email, password } });
          if (created.status !== 200) {
            // Refusing NUL in passwords is a fix too.
            assert.ok([400, 422].includes(created.status), created.text);
            continue;
          }
          for (const other of [password.split('\u0000')[0] ?? '', '\u0000', `${password}\u0000${password}`].filter((p) => p !== password)) {
            const answer = await rest(server, '/api/users/login', { json: { email, password: other } });
            assert.ok(answer.status === 401 || answer.status === 400, `${JSON.stringify(password)} opened to ${JSON.stringify(other)}: ${answer.status}`);
          }
        }
      });

      test('a NUL-extended password is not the password: login and ChangePassword refuse P\\0P', async () => {
        const account = await freshAccount('correct horse battery');
        const doubled = `${account.password}\u0000${account.password}`;
        expectRest(await rest(server, '/api/users/login', { json: { email: account.email, password: doubled } }), 401, 'LOGIN_FAILED');
        expectGrpcError(await grpc('Login', loginRequest({ email: account.email, password: doubled })), status.UNAUTHENTICATED, 'LOGIN_FAILED');
        const change = await rest(server, '/api/users/change-password', { json: { oldPassword: doubled, newPassword: 'attacker password' }, headers: { authorization: account.token } });
        expectRest(change, 400, 'INVALID_PASSWORD');
      });
    });

    describe('gRPC', () => {
      test('Login: NUL in email is INVALID_EMAIL; NUL in realm, `$where` and regex usernames are INVALID_ARGUMENT', async () => {
        expectGrpcError(await grpc('Login', loginRequest({ email: 'a@b.c\u0000', password: 'x' })), status.INVALID_ARGUMENT, 'INVALID_EMAIL');
        expectGrpcError(await grpc('Login', loginRequest({ email: `${admin.email}\u0000`, password: admin.password })), status.INVALID_ARGUMENT, 'INVALID_EMAIL');
        expectGrpcError(await grpc('Login', loginRequest({ email: admin.email, password: admin.password, realm: '\u0000' })), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
        expectGrpcError(await grpc('Login', loginRequest({ email: admin.email, password: admin.password, realm: 'a\u0000b' })), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
        for (const username of ['$where', '$ne', '.*', '^admin', 'admin\u0000', 'root.user$']) {
          expectGrpcError(await grpc('Login', loginRequest({ username, password: admin.password })), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
        }
      });

      test('Login: operator-like and regex strings are plain values that match nothing', async () => {
        for (const email of ['.*@example.com', '{"$ne":null}@example.com', '$where@example.com']) {
          expectGrpcError(await grpc('Login', loginRequest({ email, password: admin.password })), status.UNAUTHENTICATED, 'LOGIN_FAILED');
        }
        for (const password of ['.*', '{"$ne":null}', '$ne', admin.password.toUpperCase(), `${admin.password} `]) {
          expectGrpcError(await grpc('Login', loginRequest({ email: admin.email, password })), status.UNAUTHENTICATED, 'LOGIN_FAILED');
        }
        // `$` and `.` in emails and `.` in realms are data: the known account with them logs in. A
        // realm is a-z 0-9 . _ - only, so `$` and patterns there are refused before any lookup.
        const tenant = known[1] as KnownUser;
        expectGrpcOk(await grpc('Login', loginRequest({ email: tenant.email, password: tenant.password, realm: tenant.realm })));
        expectGrpcError(await grpc('Login', loginRequest({ email: tenant.email, password: tenant.password, realm: 'tenant' })), status.UNAUTHENTICATED, 'LOGIN_FAILED');
        expectGrpcError(await grpc('Login', loginRequest({ email: tenant.email, password: tenant.password, realm: '$tenant.a' })), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
        expectGrpcError(await grpc('Login', loginRequest({ email: tenant.email, password: tenant.password, realm: '.*' })), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
      });

      test('1 MB values: grpc-js refuses the message (RESOURCE_EXHAUSTED); under 16 KiB, the field’s error', async () => {
        const big = await grpc('Login', loginRequest({ email: `${'a'.repeat(MB)}@example.com`, password: 'x' }));
        assert.equal(big.err?.code, status.RESOURCE_EXHAUSTED);
        expectGrpcError(await grpc('Login', loginRequest({ email: `${'a'.repeat(15_000)}@example.com`, password: 'x' })), status.INVALID_ARGUMENT, 'INVALID_EMAIL');
        expectGrpcError(await grpc('CreateUser', createUserRequest({ email: 'big@example.com', password: 'p'.repeat(15_000) })), status.INVALID_ARGUMENT, 'PASSWORD_TOO_LONG');
        expectGrpcError(await grpc('Login', loginRequest({ email: admin.email, password: 'p'.repeat(15_000) })), status.UNAUTHENTICATED, 'LOGIN_FAILED');
      });

      test('ttl_seconds: the whole int64 range answers by the TTL rules, never INTERNAL', async () => {
        const ttl = (value: bigint) => grpc('Login', loginRequest({ email: admin.email, password: admin.password, ttl: value }));
        // Above the maximum is capped (contract), however far above: 2^53 and up no longer fit a JS number.
        for (const value of [31556927n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 62n, 2n ** 63n - 1n]) {
          const { accessToken } = expectGrpcOk<{ accessToken: { ttlSeconds: number } }>(await ttl(value));
          assert.equal(accessToken.ttlSeconds, 31556926, `ttl ${value}`);
        }
        for (const value of [-2n, -(2n ** 53n), -(2n ** 63n)]) expectGrpcError(await ttl(value), status.INVALID_ARGUMENT, 'INVALID_TTL');
      });

      test('invalid UTF-8 in string fields is refused or fails normally, and is never stored as something else', async () => {
        // Protobuf strings are UTF-8. Refusing the whole message (INVALID_ARGUMENT, as protoc's
        // parsers do) or the field's own error are both right; a decoder that swaps bad bytes for
        // U+FFFD and carries on would store an address the caller never sent, and merge them all.
        const refused = (outcome: GrpcOutcome, ...reasons: string[]) => {
          assert.ok(outcome.err, `expected one of ${reasons.join(', ')}, got OK ${JSON.stringify(outcome.response)}`);
          const reason = errorDetails(outcome.err).reason ?? '';
          assert.ok(['INVALID_ARGUMENT', ...reasons].includes(reason), `${reason}: ${outcome.err.details}`);
        };
        refused(await grpc('Login', loginRequest({ email: withInvalidUtf8('admin', '@example.com'), password: admin.password })), 'INVALID_EMAIL', 'LOGIN_FAILED');
        refused(await grpc('Login', loginRequest({ email: admin.email, password: withInvalidUtf8(admin.password, '') })), 'LOGIN_FAILED');
        refused(await grpc('Logout', [str(1, withInvalidUtf8(admin.token.slice(0, 32), admin.token.slice(33)))]), 'INVALID_TOKEN');
        refused(await grpc('CreateUser', createUserRequest({ email: withInvalidUtf8('bad', '@example.com', [0xed, 0xa0, 0x80]), password: 'a good password' })), 'INVALID_EMAIL');
        refused(await grpc('CreateUser', createUserRequest({ email: 'bad-realm@example.com', password: 'a good password', realm: withInvalidUtf8('tenant', '', [0xc3]) })));
        refused(await grpc('CreateUser', createUserRequest({ email: 'bad-password@example.com', password: withInvalidUtf8('a good ', 'password') })), 'PASSWORD_REQUIRED');
      });

      test('malformed protobuf is INVALID_ARGUMENT, never INTERNAL', async () => {
        // A length prefix longer than the message, a varint that never ends, a stray end-group tag.
        for (const bytes of [[0x0a, 0x10, 0x61], [0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x0c], [0xff]]) {
          expectGrpcError(await grpc('Login', Buffer.from(bytes)), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
        }
      });

      test('wrong wire types and unknown fields are ignored as protobuf says; repeated fields keep the last', async () => {
        // email sent as a varint: not a string, so absent.
        expectGrpcError(await grpc('Login', [int(1, 5), str(3, 'x')]), status.INVALID_ARGUMENT, 'USERNAME_EMAIL_REQUIRED');
        expectGrpcOk(await grpc('Login', [str(1, admin.email), str(3, admin.password), str(99, '$where'), int(100, 1)]));
        expectGrpcOk(await grpc('Login', [str(1, '$ne@example.com'), str(1, admin.email), str(3, admin.password)]));
      });

      test('tokens: operator-like values in fields and metadata are INVALID_TOKEN or inactive', async () => {
        for (const token of ['{"$ne":null}', '.*', '$where', UNKNOWN_TOKEN, `${admin.token}\u0000`, admin.token.toLowerCase()]) {
          expectGrpcError(await grpc('Logout', [str(1, token)]), status.UNAUTHENTICATED, 'INVALID_TOKEN');
          expectGrpcError(await grpc('ChangePassword', [str(1, token), str(2, 'x'), str(3, 'new password 1')]), status.UNAUTHENTICATED, 'INVALID_TOKEN');
          expectGrpcError(await grpc('SetPassword', [str(1, token), str(2, 'new password 1')]), status.UNAUTHENTICATED, 'INVALID_TOKEN');
          assert.equal(expectGrpcOk<{ active: boolean }>(await grpc('ValidateToken', [str(1, token)])).active, false, JSON.stringify(token));
        }
        for (const header of ['{"$ne":null}', 'Bearer .*', 'Bearer $where', `Bearer ${admin.token.toLowerCase()}`]) {
          expectGrpcError(await grpc('Logout', [], header), status.UNAUTHENTICATED, 'INVALID_TOKEN');
          assert.equal(expectGrpcOk<{ active: boolean }>(await grpc('ValidateToken', [], header)).active, false, header);
        }
        // A known access token is not a reset token, and is no token with a scope it lacks.
        expectGrpcError(await grpc('SetPassword', [str(2, 'new password 1')], `Bearer ${admin.token}`), status.UNAUTHENTICATED, 'INVALID_TOKEN');
        assert.equal(expectGrpcOk<{ active: boolean }>(await grpc('ValidateToken', [str(1, admin.token), str(2, 'reset-password')])).active, false);
        expectGrpcError(await grpc('ValidateToken', []), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
      });

      test('CreateUser: `$` and `.` in emails are stored as data; `$` in a realm, and `$where` as a username, are refused', async () => {
        const created = expectGrpcOk<{ user: { email: string; realm: string } }>(
          await grpc('CreateUser', createUserRequest({ email: '$gt.x@example.com', password: 'a good password', realm: 'a.b.c', username: 'dots.and-dashes_1' })),
        );
        assert.deepEqual({ email: created.user.email, realm: created.user.realm }, { email: '$gt.x@example.com', realm: 'a.b.c' });
        expectGrpcError(await grpc('CreateUser', createUserRequest({ email: 'w@example.com', password: 'a good password', realm: 'a.$b.c' })), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
        expectGrpcError(await grpc('CreateUser', createUserRequest({ email: 'w@example.com', password: 'a good password', username: '$where' })), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
        expectGrpcError(await grpc('CreateUser', createUserRequest({ email: 'w@example.com\u0000', password: 'a good password' })), status.INVALID_ARGUMENT, 'INVALID_EMAIL');
        expectGrpcError(await grpc('CreateUser', createUserRequest({ email: 'w@example.com', password: 'a good password', realm: '\u0000' })), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
      });
    });

    test('afterwards: known users intact, documents well-formed, nothing INTERNAL, process up', async () => {
      assert.equal(server.child.exitCode, null);
      await assertKnownUsersIntact(server.grpcAddress, known);
      if (store.mongo) await assertDocumentsWellFormed(store.mongo);
      assert.deepEqual(errorLogLines(server), [], 'no call failed unexpectedly (INTERNAL is logged at error level)');
    });
  });
}

for (const [name, start] of STORES) describeInjection(name, start);
