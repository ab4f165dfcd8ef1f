import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { createLogger } from '../../src/logger.js';
import { createMongoStorage } from '../../src/storage/mongo.js';
import type { Storage } from '../../src/storage/storage.js';
import { startMongo, type MongoHandle } from '../support/mongo.js';
import { attemptStoreContract } from './contracts/attempts.js';
import { identityStoreContract } from './contracts/identities.js';
import { loginStateStoreContract } from './contracts/login-states.js';
import { token, user } from './contracts/fixtures.js';
import { tokenStoreContract } from './contracts/tokens.js';
import { userStoreContract } from './contracts/users.js';

let mongo: MongoHandle;
let admin: MongoClient;

before(async () => {
  mongo = await startMongo();
  admin = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 5000 });
});

after(async () => {
  await admin?.close();
  await mongo?.stop();
});

/** The MongoDB storage with its lifecycle and aggregates under the names the tests below use. */
class TestedStorage {
  constructor(readonly storage: Storage) {}
  init = () => this.storage.lifecycle.init();
  ping = () => this.storage.lifecycle.ping();
  close = () => this.storage.lifecycle.close();
  createUser = (u: Parameters<Storage['users']['create']>[0]) => this.storage.users.create(u);
  findUserById = (id: string) => this.storage.users.findById(id);
  insertToken = (t: Parameters<Storage['tokens']['insert']>[0]) => this.storage.tokens.insert(t);
  findToken = (hash: string) => this.storage.tokens.find(hash);
  recordAttempt = (key: string, at: Date, expiresAt: Date) => this.storage.attempts.record(key, { n: 1, at }, expiresAt);
  latestAttempt = (key: string) => this.storage.attempts.tally(key).then((counted) => counted.latest);
}

type LogLine = { level: number; msg: string } & Record<string, unknown>;

/** A store on a fresh database, with its log lines captured. */
function makeStore(options: { sweepIntervalMs?: number; dbName?: string } = {}) {
  const logs: LogLine[] = [];
  const dbName = options.dbName ?? mongo.newDbName();
  const logger = createLogger('debug', { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const store = new TestedStorage(createMongoStorage({ uri: mongo.uri, dbName, logger, sweepIntervalMs: options.sweepIntervalMs ?? 60_000 }));
  const db = admin.db(dbName);
  const teardown = async () => {
    await store.close();
    await db.dropDatabase();
  };
  return { store, logs, db, dbName, teardown };
}

const ttlRefusals = (logs: LogLine[]) => logs.filter((l) => l.level === 40 && l.msg.includes('TTL index refused'));

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

/** Each aggregate's contract on its own fresh database. */
async function fresh<K extends 'users' | 'tokens' | 'attempts' | 'identities' | 'loginStates'>(aggregate: K): Promise<{ store: Storage[K]; teardown: () => Promise<void> }> {
  const { store, teardown } = makeStore();
  await store.init();
  return { store: store.storage[aggregate], teardown };
}
userStoreContract('MongoDB', () => fresh('users'));
tokenStoreContract('MongoDB', () => fresh('tokens'));
attemptStoreContract('MongoDB', () => fresh('attempts'));
identityStoreContract('MongoDB', () => fresh('identities'));
loginStateStoreContract('MongoDB', () => fresh('loginStates'));

describe('the MongoDB backend on the database', () => {
  it('creates its indexes idempotently, and reports a refused TTL index once', async () => {
    const { store, logs, db, dbName, teardown } = makeStore();
    try {
      await store.init();
      await store.init();
      await Promise.all([store.init(), store.init()]);
      // A restarted service: a new store on a database whose indexes exist.
      const restarted = makeStore({ dbName });
      await restarted.store.init();
      await restarted.store.close();
      const names = async (collection: string) => (await db.collection(collection).indexes()).map((i) => i.name).sort();
      assert.deepEqual(
        (await names('users')).filter((n) => n !== '_id_'),
        ['realm_email', 'realm_usernameKey'],
      );
      assert.ok((await names('accessTokens')).includes('userId'));
      assert.ok((await names('identities')).includes('userId'));
      const ttl = (await db.collection('accessTokens').indexes()).find((i) => i.name === 'expiresAt_ttl');
      if (mongo.kind === 'ferretdb') {
        assert.equal(ttl, undefined);
        assert.equal(ttlRefusals(logs).length, 1);
      } else {
        assert.equal(ttl?.expireAfterSeconds, 0);
        assert.equal(ttlRefusals(logs).length, 0);
      }
    } finally {
      await teardown();
    }
  });

  it('stores the token hash as _id, never the token, and no expiresAt for an eternal token', async () => {
    const { store, db, teardown } = makeStore();
    try {
      await store.init();
      const plaintext = randomBytes(48).toString('base64url');
      const hash = createHash('sha256').update(plaintext).digest('hex');
      await store.insertToken(token({ hash, userId: 'u1' }));
      const eternal = token({ userId: 'u1', ttlSeconds: -1, expiresAt: undefined });
      await store.insertToken(eternal);

      const doc = await db.collection('accessTokens').findOne({ _id: hash as never });
      assert.ok(doc);
      assert.deepEqual(Object.keys(doc).sort(), [
        '_id', 'address', 'created', 'expiresAt', 'lastUsed', 'realm', 'scopes', 'sessionId', 'ttlSeconds', 'userAgent', 'userId',
      ]);
      assert.ok(!JSON.stringify(doc).includes(plaintext));
      const eternalDoc = await db.collection('accessTokens').findOne({ _id: eternal.hash as never });
      assert.ok(eternalDoc && !('expiresAt' in eternalDoc));

      await store.createUser(user({ email: 'nameless@example.com' }));
      const userDoc = await db.collection('users').findOne({ email: 'nameless@example.com' });
      assert.ok(userDoc && !('username' in userDoc));
    } finally {
      await teardown();
    }
  });

  it('deletes expired tokens and attempts, and keeps eternal and live ones', async () => {
    const { store, db, teardown } = makeStore({ sweepIntervalMs: 200 });
    try {
      await store.init();
      if (mongo.kind !== 'ferretdb') {
        // MongoDB's TTL monitor runs once a minute: check the index that drives it instead.
        const ttl = (await db.collection('attempts').indexes()).find((i) => i.name === 'expiresAt_ttl');
        assert.equal(ttl?.expireAfterSeconds, 0);
        return;
      }
      const now = Date.now();
      const expired = token({ expiresAt: new Date(now - 1000) });
      const eternal = token({ ttlSeconds: -1, expiresAt: undefined });
      const live = token({ expiresAt: new Date(now + 3600_000) });
      for (const t of [expired, eternal, live]) await store.insertToken(t);
      await store.recordAttempt('old', new Date(now - 3 * 24 * 3600_000), new Date(now - 2 * 24 * 3600_000));
      await store.recordAttempt('new', new Date(now), new Date(now + 3600_000));

      await eventually(async () => (await store.findToken(expired.hash)) === undefined, 3000, 'the sweep');
      await eventually(async () => (await store.latestAttempt('old')) === undefined, 3000, 'the attempt sweep');
      assert.deepEqual(await store.findToken(eternal.hash), eternal);
      assert.deepEqual(await store.findToken(live.hash), live);
      assert.equal((await store.latestAttempt('new'))?.n, 1);
      assert.equal(await db.collection('accessTokens').countDocuments(), 2);
    } finally {
      await teardown();
    }
  });

  const outage = process.env.MONGODB_URI ? 'stops the database: needs the private FerretDB (MONGODB_URI is set)' : false;

  it('answers StoreUnavailableError while the database is down, and recovers after', { skip: outage }, async () => {
    const { store, teardown } = makeStore();
    let down = false;
    try {
      await store.init();
      const kept = user({ email: 'survivor@example.com' });
      await store.createUser(kept);
      await store.ping();

      await mongo.stop();
      down = true;
      const started = Date.now();
      await assert.rejects(store.ping(), StoreUnavailableError);
      await assert.rejects(store.findUserById(kept.id), StoreUnavailableError);
      await assert.rejects(store.recordAttempt('k', new Date(), new Date()), StoreUnavailableError);
      assert.ok(Date.now() - started < 10_000, 'fails fast');

      await mongo.restart();
      down = false;
      await eventually(() => store.ping().then(() => true, () => false), 5000, 'ping after restart');
      assert.deepEqual(await store.findUserById(kept.id), kept);
    } finally {
      if (down) await mongo.restart(); // so that teardown can drop the database
      await teardown();
    }
  });

  it('throws StoreUnavailableError from init() while the database is down, and initializes on a later call', { skip: outage }, async () => {
    const { store, db, logs, teardown } = makeStore();
    let down = false;
    try {
      await mongo.stop();
      down = true;
      await assert.rejects(store.init(), StoreUnavailableError);
      await assert.rejects(store.init(), StoreUnavailableError);
      await mongo.restart();
      down = false;
      await store.init();
      assert.ok((await db.collection('users').indexes()).some((i) => i.name === 'realm_email'));
      assert.equal(ttlRefusals(logs).length, 1);
      await store.createUser(user({ email: 'late@example.com' }));
      await assert.rejects(store.createUser(user({ email: 'late@example.com' })), { name: 'DuplicateKeyError' });
    } finally {
      if (down) await mongo.restart();
      await teardown();
    }
  });
});
