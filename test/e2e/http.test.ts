/**
 * The REST gateway through a real HTTP client (fetch) against the built server process
 * (`npm run build` first), once on the embedded store and once on MongoDB (FerretDB or MONGODB_URI).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { startMongo } from '../support/mongo.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { startWebhookReceiver } from '../support/webhook.js';

const WEBHOOK_SECRET = 'rest-test-webhook-secret';
const PASSWORD = 'correct horse 1';
/** Failed logins before the lock; a long lock keeps the 429 test independent of timing. */
const MAX_FAILURES = 5;

interface ErrorBody {
  statusCode: number;
  name: string;
  message: string;
  code: string;
}
interface UserBody {
  id: string;
  email: string;
  username?: string;
  realm?: string;
  emailVerified: boolean;
  created: string;
}
interface LoginBody {
  id: string;
  ttl: number;
  created: string;
  userId: string;
  user?: UserBody;
}
interface ValidateBody {
  active: boolean;
  userId?: string;
  scopes?: string[];
  ttl?: number;
  created?: string;
  expiresAt?: string;
  user?: UserBody;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body; undefined when there is none. */
  json: unknown;
}

interface Request {
  method?: string;
  /** Sent as JSON with Content-Type application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Sent as is. */
  raw?: string;
  headers?: Record<string, string>;
}

/** What each store variant brings: server environment, teardown, and (MongoDB only) a way to take the database down. */
interface StoreEnv {
  env: Record<string, string>;
  stop(): Promise<void>;
  outage?: () => Promise<void>;
}

function describeRest(storeName: string, envFactory: () => Promise<StoreEnv>, canFail = false): void {
  describe(`REST gateway on the ${storeName} store`, () => {
    let store: StoreEnv;
    let server: ServerProcess;
    let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let users = 0;
    /** Every token and email the suite handled: none may show up in metrics or logs. */
    const secrets = new Set<string>();
    const emails = new Set<string>();

    before(async () => {
      webhook = await startWebhookReceiver();
      store = await envFactory();
      server = await startServer({
        ...store.env,
        LOG_LEVEL: 'debug',
        RESET_WEBHOOK_URL: webhook.url,
        RESET_WEBHOOK_SECRET: WEBHOOK_SECRET,
        LOGIN_MAX_FAILURES: String(MAX_FAILURES),
        LOGIN_LOCK_BASE_MS: '60000',
      });
    });

    after(async () => {
      await server?.stop('SIGKILL');
      await webhook?.close();
      await store?.stop();
    });

    async function api(path: string, request: Request = {}): Promise<Answer> {
      const headers: Record<string, string> = { ...request.headers };
      let body: string | URLSearchParams | undefined = request.raw;
      if (request.json !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = JSON.stringify(request.json);
      }
      if (request.form) body = new URLSearchParams(request.form);
      const response = await fetch(server.httpUrl + path, { method: request.method ?? 'POST', headers, body });
      const text = await response.text();
      const isJson = response.headers.get('content-type')?.startsWith('application/json') ?? false;
      return { status: response.status, headers: response.headers, text, json: isJson && text ? JSON.parse(text) : undefined };
    }

    function expectError(answer: Answer, status: number, code: string, message?: string): ErrorBody {
      assert.equal(answer.status, status, answer.text);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
      const body = answer.json as { error: ErrorBody };
      assert.deepEqual(Object.keys(body), ['error']);
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'name', 'statusCode']);
      assert.equal(body.error.statusCode, status);
      assert.equal(body.error.name, 'Error');
      assert.equal(body.error.code, code);
      if (message !== undefined) assert.equal(body.error.message, message);
      assert.doesNotMatch(body.error.message, /\n|\bat .+:\d+|Mongo|bcrypt|\$2[aby]\$/, 'no stack, driver or hash in messages');
      return body.error;
    }

    function newEmail(tag: string): string {
      const email = `${tag}-${++users}@example.com`;
      emails.add(email);
      return email;
    }

    async function createUser(fields: Record<string, string> = {}): Promise<UserBody> {
      const answer = await api('/api/users', { json: { email: newEmail('user'), password: PASSWORD, ...fields } });
      assert.equal(answer.status, 200, answer.text);
      return answer.json as UserBody;
    }

    async function login(credentials: Record<string, unknown>, query = ''): Promise<LoginBody> {
      const answer = await api(`/api/users/login${query}`, { json: credentials });
      assert.equal(answer.status, 200, answer.text);
      const body = answer.json as LoginBody;
      secrets.add(body.id);
      return body;
    }

    async function validate(token: string, extra: Record<string, unknown> = {}): Promise<ValidateBody> {
      const answer = await api('/api/tokens/validate', { json: { accessToken: token, ...extra } });
      assert.equal(answer.status, 200, answer.text);
      return answer.json as ValidateBody;
    }

    function assertNoSecretKeys(value: unknown): void {
      const keys: string[] = [];
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(walk);
        else if (typeof node === 'object' && node !== null) {
          for (const [key, child] of Object.entries(node)) {
            keys.push(key);
            walk(child);
          }
        }
      };
      walk(value);
      assert.deepEqual(keys.filter((key) => /password|hash/i.test(key)), []);
    }

    /** All login attempts the service counted (auth_logins_total, every outcome). */
    async function loginAttempts(): Promise<number> {
      const text = (await api('/metrics', { method: 'GET' })).text;
      return [...text.matchAll(/^auth_logins_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    }

    describe('POST /api/users', () => {
      test('creates a user and answers it in LoopBack shape, without the password', async () => {
        const email = newEmail('Create');
        const answer = await api('/api/users', { json: { email: `  ${email.toUpperCase()} `, password: PASSWORD, username: 'creator_1' } });
        assert.equal(answer.status, 200, answer.text);
        const user = answer.json as UserBody;
        assert.deepEqual(Object.keys(user).sort(), ['created', 'email', 'emailVerified', 'id', 'username']);
        assert.equal(user.email, email.toLowerCase());
        assert.equal(user.username, 'creator_1');
        assert.equal(user.emailVerified, false);
        assert.equal(new Date(user.created).toISOString(), user.created);
        assert.match(user.id, /^\S+$/);
        assertNoSecretKeys(user);
      });

      test('answers realm when the user has one, and takes a form body too', async () => {
        const email = newEmail('realm');
        const answer = await api('/api/users', { form: { email, password: PASSWORD, realm: 'tenant-a' } });
        assert.equal(answer.status, 200, answer.text);
        const user = answer.json as UserBody;
        assert.equal(user.realm, 'tenant-a');
        assert.equal(user.username, undefined);
      });

      test('EMAIL_EXISTS and USERNAME_EXISTS are 422, per realm', async () => {
        const first = await createUser({ username: 'taken_name' });
        expectError(await api('/api/users', { json: { email: first.email, password: PASSWORD } }), 422, 'EMAIL_EXISTS');
        expectError(
          await api('/api/users', { json: { email: first.email.toUpperCase(), password: PASSWORD } }),
          422,
          'EMAIL_EXISTS',
        );
        expectError(
          await api('/api/users', { json: { email: newEmail('other'), password: PASSWORD, username: 'taken_name' } }),
          422,
          'USERNAME_EXISTS',
        );
        const elsewhere = await api('/api/users', { json: { email: first.email, password: PASSWORD, username: 'taken_name', realm: 'other' } });
        assert.equal(elsewhere.status, 200, elsewhere.text);
      });

      test('PASSWORD_TOO_SHORT and PASSWORD_TOO_LONG are 422; bcrypt never truncates', async () => {
        expectError(await api('/api/users', { json: { email: newEmail('short'), password: 'seven77' } }), 422, 'PASSWORD_TOO_SHORT');
        // 37 two-byte characters: 74 bytes, over bcrypt's 72.
        expectError(await api('/api/users', { json: { email: newEmail('long'), password: 'é'.repeat(37) } }), 422, 'PASSWORD_TOO_LONG');
        const fits = await api('/api/users', { json: { email: newEmail('fits'), password: 'é'.repeat(36) } });
        assert.equal(fits.status, 200, fits.text);
      });

      test('bad fields are 400 with their codes', async () => {
        expectError(await api('/api/users', { json: { email: 'not-an-email', password: PASSWORD } }), 400, 'INVALID_EMAIL');
        expectError(await api('/api/users', { json: { password: PASSWORD } }), 400, 'INVALID_EMAIL');
        expectError(await api('/api/users', { json: { email: newEmail('nopw') } }), 400, 'PASSWORD_REQUIRED');
        expectError(
          await api('/api/users', { json: { email: newEmail('badname'), password: PASSWORD, username: 'has space' } }),
          400,
          'INVALID_ARGUMENT',
        );
      });
    });

    describe('POST /api/users/login', () => {
      test("the docs' curl body logs in; its ttl (meant as ms) is capped at a year, as LoopBack does", async () => {
        // From LoopBack 3's "Logging in users" page:
        //   curl -X POST -H "Content-Type:application/json" \
        //   -d '{"email": "me@domain.com", "password": "secret", "ttl": 1209600000}' \
        //   http://localhost:3000/api/users/login
        const docsBody = '{"email": "me@domain.com", "password": "secret", "ttl": 1209600000}';
        const asWritten = await api('/api/users/login', { raw: docsBody, headers: { 'Content-Type': 'application/json' } });
        // "secret" is under this service's 8-character minimum, so no such account can exist.
        expectError(asWritten, 401, 'LOGIN_FAILED', 'login failed');

        const user = await createUser();
        const answer = await api('/api/users/login', {
          raw: docsBody.replace('me@domain.com', user.email).replace('"secret"', JSON.stringify(PASSWORD)),
          headers: { 'Content-Type': 'application/json' },
        });
        assert.equal(answer.status, 200, answer.text);
        const token = answer.json as LoginBody;
        secrets.add(token.id);
        assert.deepEqual(Object.keys(token).sort(), ['created', 'id', 'ttl', 'userId']);
        assert.match(token.id, /^[0-9A-Za-z]{64}$/);
        assert.equal(token.ttl, 31556926);
        assert.equal(token.userId, user.id);
        assert.equal(new Date(token.created).toISOString(), token.created);
      });

      test('ttl is in seconds; 0 or absent is two weeks', async () => {
        const user = await createUser();
        assert.equal((await login({ email: user.email, password: PASSWORD, ttl: 1209600 })).ttl, 1209600);
        assert.equal((await login({ email: user.email, password: PASSWORD, ttl: 60 })).ttl, 60);
        assert.equal((await login({ email: user.email, password: PASSWORD })).ttl, 1209600);
        assert.equal((await login({ email: user.email, password: PASSWORD, ttl: 0 })).ttl, 1209600);
        const timed = await login({ email: user.email, password: PASSWORD, ttl: 60 });
        const state = await validate(timed.id);
        assert.equal(state.ttl, 60);
        assert.equal(Date.parse(state.expiresAt ?? '') - Date.parse(state.created ?? ''), 60_000);
      });

      test('by username, and within a realm', async () => {
        const user = await createUser({ username: 'by_name', realm: 'r1' });
        assert.equal((await login({ username: 'by_name', password: PASSWORD, realm: 'r1' })).userId, user.id);
        expectError(await api('/api/users/login', { json: { username: 'by_name', password: PASSWORD } }), 401, 'LOGIN_FAILED');
      });

      test('a form-urlencoded body logs in, with ttl as a digit string', async () => {
        const user = await createUser();
        const answer = await api('/api/users/login', { form: { email: user.email, password: PASSWORD, ttl: '60' } });
        assert.equal(answer.status, 200, answer.text);
        const token = answer.json as LoginBody;
        secrets.add(token.id);
        assert.equal(token.ttl, 60);
        expectError(await api('/api/users/login', { form: { email: user.email, password: PASSWORD, ttl: 'abc' } }), 400, 'INVALID_TTL');
        // -1 (never expires) is refused unless ALLOW_ETERNAL_TOKENS is set.
        expectError(await api('/api/users/login', { form: { email: user.email, password: PASSWORD, ttl: '-1' } }), 400, 'INVALID_TTL');
        expectError(await api('/api/users/login', { form: { email: user.email } }), 400, 'PASSWORD_REQUIRED');
      });

      test('?include=user adds the user, never a password or hash', async () => {
        const user = await createUser({ username: 'included' });
        const token = await login({ email: user.email, password: PASSWORD }, '?include=user');
        assert.deepEqual(token.user, user);
        assertNoSecretKeys(token);
        const formAnswer = await api('/api/users/login?include=user', { form: { username: 'included', password: PASSWORD } });
        assert.equal(formAnswer.status, 200);
        assertNoSecretKeys(formAnswer.json);
        secrets.add((formAnswer.json as LoginBody).id);
        expectError(await api('/api/users/login?include=accessTokens', { json: { email: user.email, password: PASSWORD } }), 400, 'INVALID_ARGUMENT');
      });

      test('wrong password and unknown user are the same 401 LOGIN_FAILED', async () => {
        const user = await createUser();
        const wrong = expectError(await api('/api/users/login', { json: { email: user.email, password: 'wrong password' } }), 401, 'LOGIN_FAILED', 'login failed');
        const unknown = expectError(
          await api('/api/users/login', { json: { email: 'nobody@example.com', password: PASSWORD } }),
          401,
          'LOGIN_FAILED',
          'login failed',
        );
        assert.deepEqual(wrong, unknown);
      });

      test('missing or malformed credentials are 400 with their contract codes', async () => {
        expectError(await api('/api/users/login', { json: { password: PASSWORD } }), 400, 'USERNAME_EMAIL_REQUIRED');
        expectError(await api('/api/users/login', { json: { email: null, password: PASSWORD } }), 400, 'USERNAME_EMAIL_REQUIRED');
        expectError(await api('/api/users/login', { json: { email: 'not an email', password: PASSWORD } }), 400, 'INVALID_EMAIL');
        expectError(await api('/api/users/login', { json: { email: 'a@example.com' } }), 400, 'PASSWORD_REQUIRED');
        expectError(await api('/api/users/login', { json: { email: 'a@example.com', password: '' } }), 400, 'PASSWORD_REQUIRED');
        expectError(await api('/api/users/login', { json: { email: 'a@example.com', password: PASSWORD, ttl: -5 } }), 400, 'INVALID_TTL');
        expectError(await api('/api/users/login', { json: { email: 'a@example.com', password: PASSWORD, ttl: 1.5 } }), 400, 'INVALID_TTL');
        expectError(await api('/api/users/login', { json: { email: 'a@example.com', password: PASSWORD, ttl: '60' } }), 400, 'INVALID_TTL');
      });

      test('TOO_MANY_ATTEMPTS is 429 with Retry-After in seconds', async () => {
        const user = await createUser();
        for (let i = 0; i < MAX_FAILURES; i++) {
          expectError(await api('/api/users/login', { json: { email: user.email, password: 'wrong password' } }), 401, 'LOGIN_FAILED');
        }
        const locked = await api('/api/users/login', { json: { email: user.email, password: PASSWORD } });
        expectError(locked, 429, 'TOO_MANY_ATTEMPTS');
        const retryAfter = Number(locked.headers.get('retry-after'));
        assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${locked.headers.get('retry-after')}`);
      });
    });

    describe('bodies the schemas refuse before any use case runs', () => {
      test('injection objects and wrong types are 400 and never reach the store', async () => {
        const user = await createUser();
        const refusedEmail = newEmail('refused');
        const attemptsBefore = await loginAttempts();
        const cases: Array<[string, unknown, string]> = [
          ['/api/users/login', { email: { $ne: null }, password: { $ne: null } }, 'INVALID_EMAIL'],
          ['/api/users/login', { email: { $gt: '' }, password: PASSWORD }, 'INVALID_EMAIL'],
          ['/api/users/login', { username: { $regex: '.*' }, password: PASSWORD }, 'INVALID_ARGUMENT'],
          ['/api/users/login', { email: user.email, password: ['a'] }, 'PASSWORD_REQUIRED'],
          ['/api/users/login', { email: user.email, password: { $ne: null } }, 'PASSWORD_REQUIRED'],
          ['/api/users/login', { email: user.email, password: PASSWORD, ttl: 'abc' }, 'INVALID_TTL'],
          ['/api/users/login', { email: user.email, password: PASSWORD, ttl: { $gt: 0 } }, 'INVALID_TTL'],
          ['/api/users/login', { email: user.email, password: PASSWORD, realm: { $ne: '' } }, 'INVALID_ARGUMENT'],
          ['/api/users/login', { email: [user.email], password: PASSWORD }, 'INVALID_EMAIL'],
          ['/api/users/login', { email: true, password: PASSWORD }, 'INVALID_EMAIL'],
          ['/api/users/reset', { email: { $ne: null } }, 'INVALID_EMAIL'],
          ['/api/users', { email: refusedEmail, password: { length: 12 } }, 'PASSWORD_REQUIRED'],
          ['/api/users', { email: refusedEmail, password: PASSWORD, username: { $ne: null } }, 'INVALID_ARGUMENT'],
          ['/api/users', { email: refusedEmail, password: PASSWORD, realm: ['a'] }, 'INVALID_ARGUMENT'],
          ['/api/tokens/validate', { accessToken: { $ne: null } }, 'INVALID_ARGUMENT'],
          ['/api/tokens/validate', { accessToken: 'x', requiredScopes: 'reset-password' }, 'INVALID_ARGUMENT'],
          ['/api/users/change-password', { oldPassword: ['a'], newPassword: PASSWORD }, 'PASSWORD_REQUIRED'],
          ['/api/users/reset-password', { newPassword: 12345678 }, 'PASSWORD_REQUIRED'],
        ];
        for (const [path, json, code] of cases) {
          const error = expectError(await api(path, { json }), 400, code);
          assert.doesNotMatch(error.message, /\$ne|\$gt|\$regex/, 'the message does not echo the value');
        }
        // The login use case counts every attempt that got as far as a lookup; none did.
        assert.equal(await loginAttempts(), attemptsBefore);
        // Nothing was stored by the refused POST /api/users bodies: the email is still free.
        await createUser({ email: refusedEmail });
      });

      test('a body that is not an object is 400 INVALID_ARGUMENT', async () => {
        for (const raw of ['[1,2]', 'null', '"text"', '42']) {
          expectError(await api('/api/users/login', { raw, headers: { 'content-type': 'application/json' } }), 400, 'INVALID_ARGUMENT');
        }
      });

      test('malformed JSON is 400, a prototype-poisoning body too', async () => {
        expectError(await api('/api/users/login', { raw: '{"email": "a@b.io", ', headers: { 'content-type': 'application/json' } }), 400, 'INVALID_ARGUMENT');
        expectError(
          await api('/api/users/login', { raw: '{"__proto__": {"admin": true}, "email": "a@b.io"}', headers: { 'content-type': 'application/json' } }),
          400,
          'INVALID_ARGUMENT',
        );
      });

      test('a body over 16 KiB is 413, JSON or form', async () => {
        const big = 'x'.repeat(17 * 1024);
        expectError(await api('/api/users/login', { json: { email: 'a@example.com', password: big } }), 413, 'PAYLOAD_TOO_LARGE');
        expectError(await api('/api/users/login', { form: { email: 'a@example.com', password: big } }), 413, 'PAYLOAD_TOO_LARGE');
        // Just under the limit still reaches the use case.
        const fits = await api('/api/users/login', { json: { email: 'a@example.com', password: 'x'.repeat(15 * 1024) } });
        expectError(fits, 401, 'LOGIN_FAILED');
      });

      test('other content types are 415 in the same shape', async () => {
        expectError(await api('/api/users/login', { raw: 'email=a', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      });

      test('content-type parameters and case do not bypass the schema', async () => {
        for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/json ; charset=UTF-8']) {
          const answer = await api('/api/users/login', { raw: '{"email":{"$ne":null},"password":"x"}', headers: { 'content-type': type } });
          expectError(answer, 400, 'INVALID_EMAIL');
        }
      });

      test('paths match case-insensitively and with a trailing slash, as in LoopBack (Express)', async () => {
        const user = await createUser();
        const token = await login({ email: user.email, password: PASSWORD });
        const answer = await api('/api/Users/login/', { json: { email: user.email, password: PASSWORD } });
        assert.equal(answer.status, 200, answer.text);
        secrets.add((answer.json as LoginBody).id);
        assert.equal((await api(`/api/Users/logout?access_token=${token.id}`)).status, 204);
      });

      test('an unknown route is 404 in the same shape', async () => {
        expectError(await api('/api/users/nope', { json: {} }), 404, 'NOT_FOUND');
        expectError(await api('/api/users/login', { method: 'GET' }), 404, 'NOT_FOUND');
        expectError(await api('/', { method: 'GET' }), 404, 'NOT_FOUND');
      });
    });

    describe('POST /api/users/logout', () => {
      test("the docs' curl commands: token in Authorization, then in ?access_token=; a second logout is 401", async () => {
        // From LoopBack 3's "Logging in users" page, with VERB=POST:
        //   curl -X VERB -H "Authorization: $ACCESS_TOKEN" http://localhost:3000/api/users/logout
        //   curl -X VERB http://localhost:3000/api/users/logout?access_token=$ACCESS_TOKEN
        const user = await createUser();
        const byHeader = await login({ email: user.email, password: PASSWORD, ttl: 1209600 });
        const byQuery = await login({ email: user.email, password: PASSWORD, ttl: 1209600 });

        const first = await api('/api/users/logout', { headers: { Authorization: byHeader.id } });
        assert.equal(first.status, 204, first.text);
        assert.equal(first.text, '');
        expectError(await api('/api/users/logout', { headers: { Authorization: byHeader.id } }), 401, 'INVALID_TOKEN');

        const second = await api(`/api/users/logout?access_token=${byQuery.id}`);
        assert.equal(second.status, 204, second.text);
        expectError(await api(`/api/users/logout?access_token=${byQuery.id}`), 401, 'INVALID_TOKEN');

        assert.equal((await validate(byHeader.id)).active, false);
        assert.equal((await validate(byQuery.id)).active, false);
      });

      test('takes Bearer and X-Access-Token, with or without an empty JSON body, and any verb as LoopBack', async () => {
        const user = await createUser();
        const bearer = await login({ email: user.email, password: PASSWORD });
        assert.equal((await api('/api/users/logout', { headers: { Authorization: `Bearer ${bearer.id}` } })).status, 204);
        const xHeader = await login({ email: user.email, password: PASSWORD });
        const withBody = await api('/api/users/logout', { headers: { 'X-Access-Token': xHeader.id, 'content-type': 'application/json' }, raw: '' });
        assert.equal(withBody.status, 204, withBody.text);
        const viaGet = await login({ email: user.email, password: PASSWORD });
        assert.equal((await api(`/api/users/logout?access_token=${viaGet.id}`, { method: 'GET' })).status, 204);
        // HEAD must not log anyone out (link checkers, probes).
        const kept = await login({ email: user.email, password: PASSWORD });
        assert.equal((await api(`/api/users/logout?access_token=${kept.id}`, { method: 'HEAD' })).status, 404);
        assert.equal((await validate(kept.id)).active, true);
      });

      test('?all=true revokes every token of the user', async () => {
        const user = await createUser();
        const tokens = [await login({ email: user.email, password: PASSWORD }), await login({ email: user.email, password: PASSWORD })];
        const [first] = tokens;
        assert.ok(first);
        assert.equal((await api('/api/users/logout?all=true', { headers: { Authorization: first.id } })).status, 204);
        for (const token of tokens) assert.equal((await validate(token.id)).active, false);
        expectError(await api('/api/users/logout?all=maybe', { headers: { Authorization: 'x' } }), 400, 'INVALID_ARGUMENT');
      });

      test('no token, or a made-up one, is 401 INVALID_TOKEN', async () => {
        expectError(await api('/api/users/logout'), 401, 'INVALID_TOKEN');
        expectError(await api('/api/users/logout', { headers: { Authorization: 'Bearer nonsense' } }), 401, 'INVALID_TOKEN');
        expectError(await api(`/api/users/logout?access_token=${'A'.repeat(64)}`), 401, 'INVALID_TOKEN');
      });
    });

    describe('the token wherever LoopBack 3 looks for it', () => {
      const base64 = (text: string) => Buffer.from(text).toString('base64');
      /** Where a request may carry token `t`, with LoopBack's name for each place. */
      const places: Array<[string, (t: string) => Request, string?]> = [
        ['body access_token (JSON)', (t) => ({ json: { access_token: t } })],
        ['body access_token (form)', (t) => ({ form: { access_token: t } })],
        ['query access_token', () => ({})],
        ['X-Access-Token raw', (t) => ({ headers: { 'X-Access-Token': t } })],
        ['X-Access-Token Bearer base64', (t) => ({ headers: { 'X-Access-Token': `Bearer ${base64(t)}` } })],
        ['Authorization raw', (t) => ({ headers: { Authorization: t } })],
        ['Authorization Bearer raw', (t) => ({ headers: { Authorization: `Bearer ${t}` } })],
        ['Authorization Bearer base64 (LoopBack token() default)', (t) => ({ headers: { Authorization: `Bearer ${base64(t)}` } })],
        ['Authorization bearer base64, lower case', (t) => ({ headers: { Authorization: `bearer ${base64(t)}` } })],
        ['Authorization Basic token: (curl -u "$TOKEN:")', (t) => ({ headers: { Authorization: `Basic ${base64(`${t}:`)}` } })],
        ['Authorization Basic :token', (t) => ({ headers: { Authorization: `Basic ${base64(`:${t}`)}` } })],
        ['Authorization Basic name:token', (t) => ({ headers: { Authorization: `basic ${base64(`token:${t}`)}` } })],
        ['Authorization Basic token (no colon)', (t) => ({ headers: { Authorization: `Basic ${base64(t)}` } })],
        ['body sid (JSON, LoopBack 2 docs)', (t) => ({ json: { sid: t } })],
        ['body sid (form)', (t) => ({ form: { sid: t } })],
      ];
      const queryOf = (name: string, token: string) => (name === 'query access_token' ? `?access_token=${token}` : '');

      for (const [name, place] of places) {
        test(`logout finds it in ${name}`, async () => {
          const user = await createUser();
          const token = await login({ email: user.email, password: PASSWORD });
          const kept = await login({ email: user.email, password: PASSWORD });
          for (const method of name.startsWith('body') ? ['POST', 'DELETE'] : ['POST']) {
            const answer = await api(`/api/users/logout${queryOf(name, token.id)}`, { method, ...place(token.id) });
            if (method === 'POST') assert.equal(answer.status, 204, answer.text);
            else expectError(answer, 401, 'INVALID_TOKEN'); // the same token again, by another verb
          }
          assert.equal((await validate(token.id)).active, false);
          assert.equal((await validate(kept.id)).active, true);
        });
      }

      test('every route that takes a token takes it from any place', async () => {
        const user = await createUser({ username: 'placed' });
        const token = await login({ email: user.email, password: PASSWORD });
        const byBasic = await api('/api/tokens/validate', { headers: { Authorization: `Basic ${base64(`${token.id}:`)}` } });
        assert.equal((byBasic.json as ValidateBody).userId, user.id);
        const byBodyToken = await api('/api/tokens/validate', { json: { access_token: token.id } });
        assert.equal((byBodyToken.json as ValidateBody).userId, user.id);
        const read = await api(`/api/users/${user.id}`, { method: 'GET', headers: { Authorization: `Bearer ${base64(token.id)}` } });
        assert.deepEqual(read.json, user);
        const renamed = await api(`/api/users/${user.id}`, { method: 'PATCH', json: { access_token: token.id, username: 'placed_2' } });
        assert.equal((renamed.json as UserBody).username, 'placed_2', renamed.text);
        const changed = await api('/api/users/change-password', { json: { access_token: token.id, oldPassword: PASSWORD, newPassword: 'battery staple 2' } });
        assert.equal(changed.status, 204, changed.text);

        const delivered = webhook.deliveries.length;
        assert.equal((await api('/api/users/reset', { json: { email: user.email } })).status, 204);
        const resetToken = (await webhook.waitFor(delivered + 1)).body.token;
        secrets.add(resetToken);
        const reset = await api('/api/users/reset-password', { form: { access_token: resetToken, newPassword: 'brand new secret 3' } });
        assert.equal(reset.status, 204, reset.text);

        const fresh = await login({ email: user.email, password: 'brand new secret 3' });
        const deleted = await api(`/api/users/${user.id}`, { method: 'DELETE', headers: { 'X-Access-Token': `Basic ${base64(`token:${fresh.id}`)}` } });
        assert.deepEqual(deleted.json, { count: 1 });
      });

      test("tokens in two places: the first in LoopBack's order is used, logged at debug without the tokens", async () => {
        const user = await createUser();
        const [first, second, third, fourth] = [
          await login({ email: user.email, password: PASSWORD }),
          await login({ email: user.email, password: PASSWORD }),
          await login({ email: user.email, password: PASSWORD }),
          await login({ email: user.email, password: PASSWORD }),
        ];
        assert.ok(first && second && third && fourth);
        const conflictLines = () => server.logs().filter((line) => line.msg === "request carries different tokens; the first in LoopBack order is used");
        const before = conflictLines().length;

        // Body before query: the query's token stays.
        const bodyFirst = await api(`/api/users/logout?access_token=${second.id}`, { json: { access_token: first.id } });
        assert.equal(bodyFirst.status, 204, bodyFirst.text);
        assert.equal((await validate(first.id)).active, false);
        assert.equal((await validate(second.id)).active, true);
        // Query before the headers, X-Access-Token before Authorization.
        assert.equal((await api(`/api/users/logout?access_token=${second.id}`, { headers: { 'X-Access-Token': third.id, Authorization: fourth.id } })).status, 204);
        assert.equal((await validate(second.id)).active, false);
        assert.equal((await api('/api/users/logout', { headers: { 'X-Access-Token': third.id, Authorization: `Bearer ${fourth.id}` } })).status, 204);
        assert.equal((await validate(third.id)).active, false);
        assert.equal((await validate(fourth.id)).active, true);
        // access_token before sid; a bad token first is a 401, never a fall-back to a good one, nor a 5xx.
        expectError(await api('/api/users/logout', { json: { access_token: 'A'.repeat(64), sid: fourth.id } }), 401, 'INVALID_TOKEN');
        expectError(await api('/api/users/logout', { headers: { 'X-Access-Token': 'nonsense', Authorization: fourth.id } }), 401, 'INVALID_TOKEN');
        assert.equal((await validate(fourth.id)).active, true);
        // The same token twice is no conflict.
        assert.equal((await api(`/api/users/logout?access_token=${fourth.id}`, { headers: { Authorization: fourth.id } })).status, 204);

        // Log lines reach this process through the server's stdout, a moment after the answers.
        for (let waited = 0; conflictLines().length - before < 5 && waited < 3000; waited += 50) await delay(50);
        const lines = conflictLines().slice(before);
        assert.equal(lines.length, 5, JSON.stringify(lines));
        assert.deepEqual(lines[0], { ...lines[0], level: 20, route: '/api/users/logout', used: 'body access_token', places: ['body access_token', 'query access_token'] });
        assert.deepEqual(lines[1]?.places, ['query access_token', 'X-Access-Token', 'Authorization']);
        assert.deepEqual(lines[3]?.places, ['body access_token', 'body sid']);
      });

      test('an empty place is no token: the next place is used', async () => {
        const user = await createUser();
        const token = await login({ email: user.email, password: PASSWORD });
        const answer = await api('/api/users/logout?access_token=', { json: { access_token: '' }, headers: { 'X-Access-Token': '', Authorization: `Bearer ${token.id}` } });
        assert.equal(answer.status, 204, answer.text);
      });

      test('body tokens of the wrong type are 400; made-up and undecodable ones 401, with a Bearer challenge', async () => {
        expectError(await api('/api/users/logout', { json: { access_token: { $ne: null } } }), 400, 'INVALID_ARGUMENT');
        expectError(await api('/api/users/logout', { json: { sid: ['a'] } }), 400, 'INVALID_ARGUMENT');
        expectError(await api('/api/users/change-password', { json: { access_token: 5, oldPassword: 'x', newPassword: 'y'.repeat(10) } }), 400, 'INVALID_ARGUMENT');
        for (const authorization of ['Basic', 'Basic !!!', `Basic ${base64(':')}`, 'Bearer %%%', `Bearer ${base64('\u0000'.repeat(64))}`, 'Basic ' + 'A'.repeat(4000)]) {
          const answer = await api('/api/users/logout', { headers: { Authorization: authorization } });
          expectError(answer, 401, 'INVALID_TOKEN');
          assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
        }
        const loginFailed = await api('/api/users/login', { json: { email: 'nobody@example.com', password: PASSWORD } });
        expectError(loginFailed, 401, 'LOGIN_FAILED');
        assert.equal(loginFailed.headers.get('www-authenticate'), null, 'a failed login is no invitation to send a token');
      });
    });

    describe('GET, PATCH and DELETE /api/users/{id}: the owner only', () => {
      test("GET answers the owner's user as on creation; anyone else, and unknown ids, get 401", async () => {
        const user = await createUser({ username: 'owner_1' });
        const stranger = await createUser();
        const token = await login({ email: user.email, password: PASSWORD });
        const theirs = await login({ email: stranger.email, password: PASSWORD });
        const read = await api(`/api/users/${user.id}?access_token=${token.id}`, { method: 'GET' });
        assert.equal(read.status, 200, read.text);
        assert.deepEqual(read.json, user);
        assertNoSecretKeys(read.json);
        for (const request of [{}, { headers: { Authorization: theirs.id } }, { headers: { Authorization: 'A'.repeat(64) } }]) {
          const refused = await api(`/api/users/${user.id}`, { method: 'GET', ...request });
          expectError(refused, 401, 'AUTHORIZATION_REQUIRED', 'Authorization Required');
          assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
        }
        expectError(await api('/api/users/5f0000000000000000000000', { method: 'GET', headers: { Authorization: token.id } }), 401, 'AUTHORIZATION_REQUIRED');
        // The action routes under another verb are no user ids.
        expectError(await api('/api/users/change-password', { method: 'GET', headers: { Authorization: token.id } }), 404, 'NOT_FOUND');
        expectError(await api('/api/users/Login', { method: 'DELETE', headers: { Authorization: token.id } }), 404, 'NOT_FOUND');
        expectError(await api(`/api/users/${user.id}`, { method: 'PUT', json: { email: user.email }, headers: { Authorization: token.id } }), 404, 'NOT_FOUND');
      });

      test('PATCH changes the username and keeps the sessions; a new email revokes the others', async () => {
        const user = await createUser({ username: 'patched' });
        const used = await login({ email: user.email, password: PASSWORD });
        const other = await login({ email: user.email, password: PASSWORD });
        const path = `/api/users/${user.id}`;
        const renamed = await api(path, { method: 'PATCH', json: { username: 'patched_2' }, headers: { Authorization: used.id } });
        assert.deepEqual(renamed.json, { ...user, username: 'patched_2' });
        assert.equal((await validate(other.id)).active, true);

        const email = newEmail('moved');
        const moved = await api(path, { method: 'PATCH', form: { email: email.toUpperCase() }, headers: { Authorization: `Bearer ${used.id}` } });
        assert.deepEqual(moved.json, { ...user, username: 'patched_2', email, emailVerified: false });
        assert.equal((await validate(used.id)).active, true);
        assert.equal((await validate(other.id)).active, false);
        expectError(await api('/api/users/login', { json: { email: user.email, password: PASSWORD } }), 401, 'LOGIN_FAILED');
        await login({ email, password: PASSWORD });
        // An empty change and null fields change nothing.
        const unchanged = await api(path, { method: 'PATCH', json: { email: null }, headers: { Authorization: used.id } });
        assert.deepEqual(unchanged.json, moved.json);
      });

      test('PATCH refuses taken values (422), bad ones (400) and fields it does not change (400)', async () => {
        const user = await createUser({ username: 'patch_owner' });
        const other = await createUser({ username: 'patch_other' });
        const token = await login({ email: user.email, password: PASSWORD });
        const patch = (json: unknown) => api(`/api/users/${user.id}`, { method: 'PATCH', json, headers: { Authorization: token.id } });
        expectError(await patch({ email: other.email.toUpperCase() }), 422, 'EMAIL_EXISTS');
        expectError(await patch({ username: 'patch_other' }), 422, 'USERNAME_EXISTS');
        expectError(await patch({ email: 'not an email' }), 400, 'INVALID_EMAIL');
        expectError(await patch({ email: { $ne: null } }), 400, 'INVALID_EMAIL');
        expectError(await patch({ username: 'has space' }), 400, 'INVALID_ARGUMENT');
        for (const field of ['password', 'emailVerified', 'realm', 'id']) {
          expectError(await patch({ [field]: field === 'emailVerified' ? true : 'x' }), 400, 'INVALID_ARGUMENT');
        }
        expectError(await api(`/api/users/${other.id}`, { method: 'PATCH', json: { username: 'stolen' }, headers: { Authorization: token.id } }), 401, 'AUTHORIZATION_REQUIRED');
        assert.deepEqual((await api(`/api/users/${user.id}`, { method: 'GET', headers: { Authorization: token.id } })).json, user);
      });

      test("DELETE deletes the owner's account and its tokens, answering LoopBack's {count}", async () => {
        const user = await createUser();
        const stranger = await createUser();
        const token = await login({ email: user.email, password: PASSWORD });
        const other = await login({ email: user.email, password: PASSWORD });
        const theirs = await login({ email: stranger.email, password: PASSWORD });
        expectError(await api(`/api/users/${user.id}`, { method: 'DELETE', headers: { Authorization: theirs.id } }), 401, 'AUTHORIZATION_REQUIRED');
        const deleted = await api(`/api/users/${user.id}`, { method: 'DELETE', headers: { Authorization: token.id } });
        assert.equal(deleted.status, 200, deleted.text);
        assert.deepEqual(deleted.json, { count: 1 });
        for (const gone of [token, other]) assert.equal((await validate(gone.id)).active, false);
        assert.equal((await validate(theirs.id)).active, true);
        expectError(await api(`/api/users/${user.id}`, { method: 'DELETE', headers: { Authorization: token.id } }), 401, 'AUTHORIZATION_REQUIRED');
        expectError(await api('/api/users/login', { json: { email: user.email, password: PASSWORD } }), 401, 'LOGIN_FAILED');
      });
    });

    describe('POST /api/tokens/validate', () => {
      test('answers active with the token facts, from the body, Authorization or ?access_token=', async () => {
        const user = await createUser({ username: 'validated' });
        const token = await login({ email: user.email, password: PASSWORD, ttl: 3600 });
        const fromBody = await validate(token.id);
        assert.deepEqual(Object.keys(fromBody).sort(), ['active', 'created', 'expiresAt', 'scopes', 'ttl', 'userId']);
        assert.equal(fromBody.active, true);
        assert.equal(fromBody.userId, user.id);
        assert.deepEqual(fromBody.scopes, []);
        assert.equal(fromBody.ttl, 3600);
        assert.equal(fromBody.created, token.created);

        const fromHeader = await api('/api/tokens/validate', { headers: { Authorization: `Bearer ${token.id}` } });
        assert.deepEqual(fromHeader.json, fromBody);
        const fromQuery = await api(`/api/tokens/validate?access_token=${token.id}&include=user`);
        const withUser = fromQuery.json as ValidateBody;
        assert.deepEqual(withUser.user, user);
        assertNoSecretKeys(withUser);
      });

      test('unknown, malformed or revoked tokens are active: false, not errors', async () => {
        assert.deepEqual(await validate('A'.repeat(64)), { active: false });
        assert.deepEqual(await validate('short'), { active: false });
        const user = await createUser();
        const token = await login({ email: user.email, password: PASSWORD });
        assert.equal((await api('/api/users/logout', { headers: { Authorization: token.id } })).status, 204);
        assert.deepEqual(await validate(token.id), { active: false });
      });

      test('no token at all is 400 INVALID_ARGUMENT', async () => {
        expectError(await api('/api/tokens/validate', { json: {} }), 400, 'INVALID_ARGUMENT');
        expectError(await api('/api/tokens/validate'), 400, 'INVALID_ARGUMENT');
      });
    });

    describe('POST /api/users/change-password', () => {
      test('changes the password, keeps the token used and revokes the others', async () => {
        const user = await createUser();
        const used = await login({ email: user.email, password: PASSWORD });
        const other = await login({ email: user.email, password: PASSWORD });
        const newPassword = 'battery staple 2';
        const answer = await api('/api/users/change-password', {
          json: { oldPassword: PASSWORD, newPassword },
          headers: { Authorization: `Bearer ${used.id}` },
        });
        assert.equal(answer.status, 204, answer.text);
        assert.equal((await validate(used.id)).active, true);
        assert.equal((await validate(other.id)).active, false);
        expectError(await api('/api/users/login', { json: { email: user.email, password: PASSWORD } }), 401, 'LOGIN_FAILED');
        await login({ email: user.email, password: newPassword });
      });

      test('wrong old password is 400 INVALID_PASSWORD; bad new ones are 422; no token is 401', async () => {
        const user = await createUser();
        const token = await login({ email: user.email, password: PASSWORD });
        const path = `/api/users/change-password?access_token=${token.id}`;
        expectError(await api(path, { json: { oldPassword: 'not the password', newPassword: 'whatever 123' } }), 400, 'INVALID_PASSWORD');
        expectError(await api(path, { form: { oldPassword: PASSWORD, newPassword: 'short' } }), 422, 'PASSWORD_TOO_SHORT');
        expectError(await api(path, { json: { oldPassword: PASSWORD, newPassword: 'x'.repeat(73) } }), 422, 'PASSWORD_TOO_LONG');
        expectError(await api(path, { json: { newPassword: 'whatever 123' } }), 400, 'PASSWORD_REQUIRED');
        expectError(await api('/api/users/change-password', { json: { oldPassword: PASSWORD, newPassword: 'whatever 123' } }), 401, 'INVALID_TOKEN');
      });
    });

    describe('password reset through the webhook', () => {
      test('reset → webhook → reset-password → login with the new password; the reset token works once', async () => {
        const user = await createUser();
        const session = await login({ email: user.email, password: PASSWORD });
        const delivered = webhook.deliveries.length;

        const reset = await api('/api/users/reset', { json: { email: user.email.toUpperCase() } });
        assert.equal(reset.status, 204, reset.text);
        const delivery = await webhook.waitFor(delivered + 1);
        assert.equal(delivery.headers['x-signature'], createHmac('sha256', WEBHOOK_SECRET).update(delivery.raw).digest('hex'));
        assert.equal(delivery.body.email, user.email);
        assert.equal(delivery.body.userId, user.id);
        const resetToken = delivery.body.token;
        secrets.add(resetToken);

        // A reset token is not an access token ...
        assert.deepEqual(await validate(resetToken), { active: false });
        expectError(await api('/api/users/logout', { headers: { Authorization: resetToken } }), 401, 'INVALID_TOKEN');
        // ... unless the caller asks for its scope.
        const scoped = await validate(resetToken, { requiredScopes: ['reset-password'] });
        assert.equal(scoped.active, true);
        assert.deepEqual(scoped.scopes, ['reset-password']);

        // A refused new password does not use the token up.
        expectError(
          await api('/api/users/reset-password', { json: { newPassword: 'short' }, headers: { Authorization: `Bearer ${resetToken}` } }),
          422,
          'PASSWORD_TOO_SHORT',
        );
        const newPassword = 'brand new secret 3';
        const done = await api(`/api/users/reset-password?access_token=${resetToken}`, { json: { newPassword } });
        assert.equal(done.status, 204, done.text);
        expectError(await api(`/api/users/reset-password?access_token=${resetToken}`, { json: { newPassword: 'another one 4' } }), 401, 'INVALID_TOKEN');

        assert.equal((await validate(session.id)).active, false, 'a reset revokes every session');
        expectError(await api('/api/users/login', { json: { email: user.email, password: PASSWORD } }), 401, 'LOGIN_FAILED');
        await login({ email: user.email, password: newPassword });
      });

      test('an unknown email is 204 too, and nothing is sent', async () => {
        const delivered = webhook.deliveries.length;
        const answer = await api('/api/users/reset', { form: { email: 'nobody-here@example.com' } });
        assert.equal(answer.status, 204, answer.text);
        await delay(300);
        assert.equal(webhook.deliveries.length, delivered);
        expectError(await api('/api/users/reset', { json: { email: 'not an email' } }), 400, 'INVALID_EMAIL');
      });

      test('reset-password without a token is 401', async () => {
        expectError(await api('/api/users/reset-password', { json: { newPassword: 'long enough 5' } }), 401, 'INVALID_TOKEN');
      });
    });

    describe('probes and metrics', () => {
      test('/healthz and /readyz answer 200', async () => {
        const health = await api('/healthz', { method: 'GET' });
        assert.equal(health.status, 200);
        const ready = await api('/readyz', { method: 'GET' });
        assert.equal(ready.status, 200);
      });

      test('/metrics is Prometheus text with per-route counters and no token or email in it', async () => {
        const answer = await api('/metrics', { method: 'GET' });
        assert.equal(answer.status, 200);
        assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
        assert.match(answer.text, /^auth_http_requests_total\{method="POST",route="\/api\/users\/login",status="200"\} \d+$/m);
        assert.match(answer.text, /^auth_http_requests_total\{method="POST",route="unmatched",status="404"\} \d+$/m);
        assert.match(answer.text, /^auth_http_request_duration_seconds_bucket\{.*route="\/api\/users\/logout".*\} \d+$/m);
        assert.match(answer.text, /^auth_logins_total\{outcome="success",method="password"\} \d+$/m);
        assert.match(answer.text, /^process_cpu_user_seconds_total /m);
        assert.ok(secrets.size > 10 && emails.size > 10);
        for (const secret of secrets) assert.ok(!answer.text.includes(secret), 'a token in /metrics');
        for (const email of emails) assert.ok(!answer.text.includes(email), `an email in /metrics: ${email}`);
        assert.doesNotMatch(answer.text, /@example\.com|access_token/);
      });

      test('one log line per request with the route pattern; never a token, password, email or query', async () => {
        const lines = server.logs().filter((line) => line.msg === 'request' || line.msg === 'request failed');
        assert.ok(lines.some((line) => line.route === '/api/users/login' && line.status === 200 && typeof line.ms === 'number'));
        assert.ok(lines.some((line) => line.route === '/api/users/login' && line.status === 401 && line.code === 'LOGIN_FAILED'));
        for (const line of lines) assert.deepEqual(Object.keys(line).filter((key) => /url|query|header/i.test(key)), []);
        const output = server.output.join('\n');
        for (const secret of secrets) assert.ok(!output.includes(secret), 'a token in the logs');
        for (const email of emails) assert.ok(!output.includes(email), `an email in the logs: ${email}`);
        assert.ok(!output.includes(PASSWORD), 'a password in the logs');
      });
    });

    describe('shutdown', () => {
      // Only a real database can go away; the embedded store cannot.
      if (canFail) {
        test('the database going away makes /readyz and the API answer 503', async () => {
          await store.outage?.();
          const deadline = Date.now() + 15_000;
          let ready = await api('/readyz', { method: 'GET' });
          while (ready.status !== 503 && Date.now() < deadline) {
            await delay(200);
            ready = await api('/readyz', { method: 'GET' });
          }
          expectError(ready, 503, 'SERVICE_UNAVAILABLE');
          assert.equal((await api('/healthz', { method: 'GET' })).status, 200, 'liveness does not depend on the database');
          expectError(await api('/api/users/login', { json: { email: 'a@example.com', password: PASSWORD } }), 503, 'SERVICE_UNAVAILABLE');
        });
      }

      test('SIGTERM stops the server cleanly with idle keep-alive connections open', async () => {
        assert.equal((await api('/healthz', { method: 'GET' })).status, 200);
        const started = Date.now();
        assert.equal(await server.stop('SIGTERM'), 0);
        assert.ok(Date.now() - started < 5000, 'an idle keep-alive connection must not hold shutdown');
      });
    });
  });
}

describeRest('embedded', async () => ({ env: {}, stop: async () => {} }));

describeRest('MongoDB', async () => {
  const mongo = await startMongo();
  const kill = mongo.kill;
  return {
    env: { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName },
    stop: () => mongo.stop(),
    outage: kill ? () => kill() : undefined,
  };
}, true);
