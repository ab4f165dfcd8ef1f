/**
 * Moving from LoopBack: LoopBack 3 itself (bench/loopback, loopback-connector-mongodb) creates users and
 * logs them in through its own REST API on the tests' MongoDB (FerretDB or MONGODB_URI); the importer runs
 * as the built CLI (`dist/cli.js import-loopback`, `npm run build` first); then the real server process
 * serves those users and the tokens LoopBack issued.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { MongoClient, ObjectId } from 'mongodb';
import { fingerprint } from '../../src/core/migration/duplicate-sieve.js';
import { identityKey, type ImportReport } from '../../src/core/migration/import-loopback.js';
import { grpcurl } from '../support/grpc-tools.js';
import { startLoopBack } from '../support/loopback.js';
import { startMongo, type MongoHandle } from '../support/mongo.js';
import { freePort } from '../support/net.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

interface LoopBackLogin {
  id: string;
  ttl: number;
  created: string;
  userId: string;
}

interface Validation {
  active: boolean;
  userId?: string;
  realm?: string;
  scopes?: string[];
  ttl?: number;
  created?: string;
  expiresAt?: string;
  user?: { id: string; email: string; username?: string; realm?: string; emailVerified: boolean; created: string };
}

async function call<T>(url: string, body: unknown, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function ok<T>(url: string, body: unknown, token?: string): Promise<T> {
  const answer = await call<T>(url, body, token);
  assert.ok(answer.status < 300, `${url} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The importer as an operator runs it, with the service's environment. */
async function runImport(env: Record<string, string>, args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, 'import-loopback', ...args], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

const withDb = (uri: string, db: string): string => {
  const url = new URL(uri);
  url.pathname = `/${db}`;
  return url.toString();
};

/** What LoopBack made, as its REST API answered. */
interface Seeded {
  ann: { id: string; password: string; tokens: LoopBackLogin[] };
  bob: { id: string; password: string; eternal: LoopBackLogin };
  carl: { id: string; expired: LoopBackLogin };
  dana: { olderId: string; newerId: string; newerPassword: string; newerToken: LoopBackLogin };
  gail: { id: string; password: string };
  hana: { id: string; token: LoopBackLogin; resetToken: string };
  ivy: { id: string; password: string };
  /** Two users whose emails share the importer's 31-bit fingerprint, yet are not the same. */
  lookalikes: Array<{ email: string; password: string }>;
  erinId: string;
  frankId: string;
}

describe('import-loopback: LoopBack 3 users and sessions move over', () => {
  let mongo: MongoHandle;
  let admin: MongoClient;
  let server: ServerProcess | undefined;
  let adminAddress = '';
  let seeded: Seeded;
  const loopbackDb = `lb_${Math.random().toString(36).slice(2, 10)}`;
  let targetDb: string;
  let env: Record<string, string>;
  let from: string;

  before(async () => {
    mongo = await startMongo();
    admin = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 5000 });
    targetDb = mongo.newDbName();
    env = { MONGODB_URI: mongo.uri, MONGODB_DB: targetDb };
    from = withDb(mongo.uri, loopbackDb);
    seeded = await seedThroughLoopBack(from, admin.db(loopbackDb));
  });

  after(async () => {
    await server?.stop();
    await admin?.db(loopbackDb).dropDatabase();
    await admin?.db(targetDb).dropDatabase();
    await admin?.close();
    await mongo?.stop();
  });

  const validate = async (token: string): Promise<Validation> => {
    assert.ok(server);
    return ok<Validation>(`${server.httpUrl}/api/tokens/validate?include=user`, {}, token);
  };
  const login = async (body: Record<string, unknown>) => {
    assert.ok(server);
    return call<LoopBackLogin>(`${server.httpUrl}/api/users/login`, body);
  };
  const snapshot = async () => {
    const db = admin.db(targetDb);
    return {
      users: await db.collection('users').find().sort({ _id: 1 }).toArray(),
      accessTokens: await db.collection('accessTokens').find().sort({ _id: 1 }).toArray(),
    };
  };

  test('a dry run reports what a run would do and writes nothing', async () => {
    const run = await runImport(env, ['--from', from, '--dry-run', '--json']);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as ImportReport;
    assert.equal(report.dryRun, true);
    assert.deepEqual(report.users, { imported: 8, present: 0 });
    assert.deepEqual(report.tokens, { imported: 5, present: 0 });
    const after = await snapshot();
    assert.deepEqual([after.users.length, after.accessTokens.length], [0, 0]);
  });

  test('imports users and live tokens, reports the shared email and the malformed documents, exits 1', async () => {
    const run = await runImport(env, ['--from', from]);
    assert.equal(run.code, 1, run.stderr);
    assert.ok(!run.stdout.includes('\r') && !run.stdout.includes('\u001b['), 'no progress bar when stdout is not a terminal');
    assert.match(run.stdout, /^users {6}8 imported, 0 already here$/m);
    assert.match(run.stdout, /^tokens {5}5 imported, 0 already here$/m);
    assert.match(run.stdout, /^skipped {4}4 tokens: 1 expired, 3 of users not imported$/m);
    assert.match(run.stdout, /^conflicts {2}1$/m);
    assert.match(run.stdout, /^ {2}dana@example\.com: 2 LoopBack users, none imported/m);
    assert.match(run.stdout, new RegExp(`^ {4}${seeded.dana.olderId} {2}"Dana@Example\\.com" {2}last used `, 'm'));
    assert.match(run.stdout, new RegExp(`^ {4}${seeded.dana.newerId} {2}"dana@example\\.com" {2}last used `, 'm'));
    assert.match(run.stdout, /^invalid {4}3$/m);
    assert.match(run.stdout, new RegExp(`^ {2}User ${seeded.erinId}: email: email is not a valid address$`, 'm'));
    assert.match(run.stdout, new RegExp(`^ {2}User ${seeded.frankId}: password: missing$`, 'm'));
    assert.match(run.stdout, /^ {2}AccessToken zzzzzz…: ttl: not a whole number of seconds$/m);
    assert.doesNotMatch(run.stdout, /z{7}/, 'a token is never printed whole');
  });

  test('the same passwords log in here, by email in any case, by username, in their realm', async () => {
    const adminPort = await freePort();
    adminAddress = `127.0.0.1:${adminPort}`;
    server = await startServer({ ...env, ADMIN_GRPC_PORT: String(adminPort) });
    for (const body of [
      { email: 'ann.lee@example.com', password: seeded.ann.password },
      { email: '  ANN.LEE@example.com ', password: seeded.ann.password },
      { username: 'ann', password: seeded.ann.password },
      { email: 'bob@example.com', password: seeded.bob.password },
      { email: 'gail@example.com', password: seeded.gail.password },
      { email: 'ivy@example.com', realm: 'tenant-b', password: seeded.ivy.password },
      ...seeded.lookalikes,
    ]) {
      const answer = await login(body);
      assert.equal(answer.status, 200, JSON.stringify(body));
    }
    assert.equal((await login({ email: 'ann.lee@example.com', password: 'not her password' })).status, 401);
    assert.equal((await login({ email: 'ivy@example.com', password: seeded.ivy.password })).status, 401, 'ivy is in tenant-b');
    for (const email of ['dana@example.com', 'erin@localhost']) {
      assert.notEqual((await login({ email, password: 'dana password 2' })).status, 200, email);
    }
  });

  test('the tokens LoopBack issued validate here until their LoopBack expiry, with the same user', async () => {
    for (const token of seeded.ann.tokens) {
      const validation = await validate(token.id);
      assert.equal(validation.active, true);
      assert.equal(validation.userId, seeded.ann.id);
      assert.equal(validation.ttl, token.ttl);
      assert.equal(validation.created, token.created);
      assert.equal(validation.expiresAt, new Date(Date.parse(token.created) + token.ttl * 1000).toISOString());
      assert.deepEqual(validation.scopes, []);
      assert.equal(validation.user?.email, 'ann.lee@example.com');
      assert.equal(validation.user?.username, 'ann');
      assert.equal(validation.user?.created, new ObjectId(seeded.ann.id).getTimestamp().toISOString());
    }
    const eternal = await validate(seeded.bob.eternal.id);
    assert.equal(eternal.active, true);
    assert.equal(eternal.ttl, -1);
    assert.equal(eternal.expiresAt, undefined);
    assert.equal((await validate(seeded.carl.expired.id)).active, false);
    assert.equal((await validate(seeded.dana.newerToken.id)).active, false);
  });

  test('the imported tokens are sessions of their users, named by session ids, used as of the import', async () => {
    assert.ok(server);
    const [token] = seeded.ann.tokens;
    assert.ok(token);
    const answer = await fetch(`${server.httpUrl}/api/users/${seeded.ann.id}/accessTokens`, { headers: { authorization: token.id } });
    assert.equal(answer.status, 200);
    const sessions = (await answer.json()) as Array<{ id: string; userId: string; created: string; lastUsed: string; current: boolean }>;
    for (const session of sessions) {
      assert.match(session.id, /^[0-9a-f]{32}$/);
      assert.equal(session.userId, seeded.ann.id);
    }
    // Besides the sessions of her logins here, those LoopBack issued.
    const imported = sessions.filter((session) => seeded.ann.tokens.some((t) => t.created === session.created));
    assert.equal(imported.length, seeded.ann.tokens.length);
    for (const session of imported) assert.ok(Date.parse(session.lastUsed) > Date.parse(session.created), 'LoopBack keeps no last use: the import is the first');
    assert.equal(sessions.filter((session) => session.current).length, 1);
  });

  test('nothing stores a LoopBack token in clear', async () => {
    const stored = JSON.stringify(await snapshot());
    for (const token of [...seeded.ann.tokens, seeded.bob.eternal, seeded.hana.token]) assert.ok(!stored.includes(token.id));
  });

  test("LoopBack's reset token sets a password here, once", async () => {
    assert.ok(server);
    const reset = await call(`${server.httpUrl}/api/users/reset-password`, { newPassword: 'hana new password' }, seeded.hana.resetToken);
    assert.equal(reset.status, 204, JSON.stringify(reset.body));
    assert.equal((await call(`${server.httpUrl}/api/users/reset-password`, { newPassword: 'hana other password' }, seeded.hana.resetToken)).status, 401);
    assert.equal((await login({ email: 'hana@example.com', password: 'hana new password' })).status, 200);
    assert.equal((await validate(seeded.hana.token.id)).active, false, 'the password change revoked her LoopBack session');
  });

  test('a second run changes nothing, and brings back no session revoked here', async () => {
    // An operator disables bob here: his LoopBack session goes, and must not come back.
    const disabled = await grpcurl(adminAddress, ['auth.v1.AdminService/DisableUser'], { user_id: seeded.bob.id });
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.equal((await validate(seeded.bob.eternal.id)).active, false);
    const before = await snapshot();
    const run = await runImport(env, ['--from', from, '--json']);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as ImportReport;
    assert.deepEqual(report.users, { imported: 0, present: 8 });
    // Ann's $2a$ hash was replaced at her login here (a rehash, not a new password): her sessions stay.
    const annHere = await admin.db(targetDb).collection<{ _id: string; passwordHash: string }>('users').findOne({ _id: seeded.ann.id });
    assert.match(String(annHere?.passwordHash), /^\$2b\$/);
    assert.deepEqual(report.tokens, { imported: 0, present: 2 });
    assert.equal(report.skippedTokens.passwordChangedHere, 2, "hana's session and her used reset token");
    assert.equal(report.skippedTokens.userDisabledHere, 1, "bob's session");
    assert.deepEqual(await snapshot(), before);
    assert.equal((await validate(seeded.hana.token.id)).active, false);
    assert.equal((await validate(seeded.bob.eternal.id)).active, false);
  });

  test('--on-duplicate=most-recent imports the user who logged in last, with their sessions', async () => {
    const run = await runImport(env, ['--from', from, '--on-duplicate=most-recent', '--json']);
    assert.equal(run.code, 1, 'the invalid documents still need attention');
    const report = JSON.parse(run.stdout) as ImportReport;
    const [conflict] = report.conflicts;
    assert.equal(conflict?.kind, 'same-email');
    assert.equal(conflict.kind === 'same-email' && conflict.kept, seeded.dana.newerId);
    assert.deepEqual(report.users, { imported: 1, present: 8 });
    assert.equal((await login({ email: 'Dana@example.com', password: seeded.dana.newerPassword })).status, 200);
    const validation = await validate(seeded.dana.newerToken.id);
    assert.equal(validation.active, true);
    assert.equal(validation.userId, seeded.dana.newerId);
  });

  test('draws a progress bar on a terminal (util-linux script gives it one), then the summary', async () => {
    const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
    const command = [process.execPath, CLI, 'import-loopback', '--from', from, '--dry-run'].map(quote).join(' ');
    const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', TERM: 'xterm', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let terminal = '';
    child.stdout.on('data', (chunk: Buffer) => (terminal += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 1, terminal);
    for (const stage of ['checking users', 'importing users', 'importing tokens']) {
      assert.match(terminal, new RegExp(`${stage} +\\[#{30}\\] 100% \\d+/\\d+`), terminal);
    }
    assert.match(terminal, /^users {6}0 would be imported, 8 already here\r?$/m);
  });

  test('refuses the in-memory store and an unnamed LoopBack database, and explains its options', async () => {
    const run = await runImport({}, ['--from', from]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /MONGODB_URI is not set/);
    const help = await runImport({}, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--on-duplicate/);
    const unknown = await runImport(env, ['--from', from, '--bogus']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--bogus/);
    const noDatabase = await runImport(env, ['--from', mongo.uri]);
    assert.equal(noDatabase.code, 2);
    assert.match(noDatabase.stderr, /name LoopBack's database/);
    const named = await runImport(env, ['--from', mongo.uri, '--db', loopbackDb, '--dry-run', '--json']);
    assert.equal((JSON.parse(named.stdout) as ImportReport).users.present, 8);
  });
});

/** Two addresses whose fingerprints collide: the importer must tell them apart by the addresses themselves. */
function fingerprintCollision(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const email = `lookalike${i}@example.com`;
    const print = fingerprint(identityKey({ realm: '', email }));
    const earlier = seen.get(print);
    if (earlier) return [earlier, email];
    seen.set(print, email);
  }
}

/** An AccessToken as LoopBack keeps it: the token itself is the _id. */
type LoopBackTokenDoc = { _id: string } & Record<string, unknown>;

/**
 * Users and sessions made by LoopBack through its REST API (bcryptjs, and native bcrypt for gail), plus
 * two documents no LoopBack API writes, as a damaged database holds them.
 */
async function seedThroughLoopBack(mongodbUrl: string, db: ReturnType<MongoClient['db']>): Promise<Seeded> {
  const loopback = await startLoopBack({ mongodbUrl, allowEternalTokens: true, restrictResetPasswordTokenScope: true });
  assert.equal(loopback.bcrypt, 'bcryptjs');
  const api = `${loopback.url}/api/users`;
  const create = async (body: Record<string, unknown>) => (await ok<{ id: string }>(api, body)).id;
  const logIn = (email: string, password: string, ttl?: number) => ok<LoopBackLogin>(`${api}/login`, { email, password, ttl });
  let seeded: Omit<Seeded, 'gail'>;
  try {
    const annPassword = 'ann password 1';
    const annId = await create({ email: 'Ann.Lee@Example.com', username: 'ann', password: annPassword });
    const annTokens = [await logIn('Ann.Lee@Example.com', annPassword, 3600), await logIn('Ann.Lee@Example.com', annPassword)];

    const bobId = await create({ email: 'bob@example.com', password: 'bob password 1' });
    const eternal = await logIn('bob@example.com', 'bob password 1', -1);

    const carlId = await create({ email: 'carl@example.com', password: 'carl password 1' });
    const expired = await logIn('carl@example.com', 'carl password 1', 1);

    // LoopBack compares emails case-sensitively: to it these are two users.
    const olderId = await create({ email: 'Dana@Example.com', password: 'dana password 1' });
    const newerId = await create({ email: 'dana@example.com', password: 'dana password 2' });
    await logIn('Dana@Example.com', 'dana password 1');
    const newerToken = await logIn('dana@example.com', 'dana password 2');

    const hanaId = await create({ email: 'hana@example.com', password: 'hana password 1' });
    const hanaToken = await logIn('hana@example.com', 'hana password 1');
    assert.equal((await call(`${api}/reset`, { email: 'hana@example.com' })).status, 204);
    // LoopBack hands its reset token to the app in an event, never in the answer: it is in its database.
    const resetDoc = await db.collection<LoopBackTokenDoc>('AccessToken').findOne({ userId: new ObjectId(hanaId), scopes: 'reset-password' });
    assert.ok(resetDoc, 'LoopBack stored a reset-password token');

    const ivyId = await create({ email: 'ivy@example.com', realm: 'tenant-b', password: 'ivy password 1' });
    // LoopBack takes an address without a dot in its domain; this service does not.
    const erinId = await create({ email: 'erin@localhost', password: 'erin password 1' });
    await logIn('erin@localhost', 'erin password 1');

    const lookalikes = fingerprintCollision().map((email) => ({ email, password: `${email} password` }));
    for (const lookalike of lookalikes) await create(lookalike);

    const frankId = new ObjectId();
    await db.collection('User').insertOne({ _id: frankId, email: 'frank@example.com' });
    await db.collection<LoopBackTokenDoc>('AccessToken').insertOne({ _id: 'z'.repeat(64), userId: new ObjectId(annId), ttl: 'forever', created: new Date() });

    seeded = {
      ann: { id: annId, password: annPassword, tokens: annTokens },
      bob: { id: bobId, password: 'bob password 1', eternal },
      carl: { id: carlId, expired },
      dana: { olderId, newerId, newerPassword: 'dana password 2', newerToken },
      hana: { id: hanaId, token: hanaToken, resetToken: resetDoc._id },
      ivy: { id: ivyId, password: 'ivy password 1' },
      lookalikes,
      erinId,
      frankId: frankId.toHexString(),
    };
    // Carl's token must be past its LoopBack expiry when the importer looks. Asking LoopBack about it
    // would make LoopBack delete it, so the test waits for the instant itself.
    const expiry = Date.parse(expired.created) + expired.ttl * 1000;
    while (Date.now() <= expiry) await delay(expiry - Date.now() + 10);
  } finally {
    await loopback.stop();
  }

  // An app that installs native bcrypt writes $2b$ hashes.
  const native = await startLoopBack({ mongodbUrl, bcrypt: 'bcrypt' });
  try {
    assert.equal(native.bcrypt, 'bcrypt');
    const gailId = (await ok<{ id: string }>(`${native.url}/api/users`, { email: 'gail@example.com', password: 'gail password 1' })).id;
    const hashes = await db.collection('User').find({}, { projection: { password: 1, email: 1 } }).toArray();
    assert.match(String(hashes.find((u) => u.email === 'gail@example.com')?.password), /^\$2b\$/);
    assert.match(String(hashes.find((u) => u.email === 'bob@example.com')?.password), /^\$2a\$/);
    return { ...seeded, gail: { id: gailId, password: 'gail password 1' } };
  } finally {
    await native.stop();
  }
}
