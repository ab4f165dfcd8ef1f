import {
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type Collection,
  type IndexDescription,
} from 'mongodb';
import { StoreUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { BatchedLookup } from './batched-lookup.js';
import { DuplicateKeyError, type Counter, type Store, type TokenRecord, type UserRecord } from './store.js';

export interface MongoStoreOptions {
  uri: string;
  dbName: string;
  logger: Logger;
  /** How often expired documents are deleted when the server refuses TTL indexes. */
  sweepIntervalMs: number;
  now?: () => Date;
}

interface UserDoc {
  _id: string;
  realm: string;
  email: string;
  /** Absent when the user has none. */
  username?: string;
  /**
   * What the unique {realm, usernameKey} index holds: `name:<username>`, or `none:<id>` for a
   * user without one, so that those never collide. A partial unique index on `username` would
   * do on MongoDB, but FerretDB refuses partialFilterExpression (238) and ignores `sparse`, and a
   * plain unique index makes MongoDB see every absent username as one null. This one index
   * behaves the same on both, at the cost of one index entry per user.
   */
  usernameKey: string;
  passwordHash: string;
  emailVerified: boolean;
  created: Date;
}

interface TokenDoc {
  /** The token's SHA-256, so that a lookup is the _id index. */
  _id: string;
  userId: string;
  realm: string;
  scopes: string[];
  created: Date;
  ttlSeconds: number;
  /** Absent for a token that never expires, which the TTL index then leaves alone. */
  expiresAt?: Date;
}

/** The events of one key in the current window. */
interface CounterDoc {
  _id: string;
  count: number;
  first: Date;
  last: Date;
  expiresAt: Date;
}

/**
 * Token lookups (ValidateToken, on every request of every caller) share queries under load: a
 * few queries at a time, each for every token asked meanwhile, which cuts the driver's CPU per
 * lookup several times over (16-40 µs against 100-160 µs, measured on FerretDB).
 */
const TOKEN_QUERIES_IN_FLIGHT = 4;
const TOKEN_QUERY_MAX_KEYS = 100;
/**
 * Fewer tokens than this are looked up one query each (still sent together). MongoDB serves
 * `_id: {$in}` from the _id index either way, but FerretDB 1.x hands only `_id: <string>` to
 * SQLite and filters `$in` itself over the whole collection: measured there, a batch of about
 * five tokens was 20 % slower as one `$in` than as five queries.
 */
const TOKEN_QUERY_MIN_IN_KEYS = 8;

/** Counters outlive their last event by a day (the longest window the service uses), then expire. */
const COUNTER_LIFETIME_MS = 24 * 3600_000;

/** Server errors that mean "not reachable right now" rather than "this request is wrong". */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/**
 * Socket errors of Node itself. The driver does not wrap them all: a write on a connection the
 * server has just closed can surface as a bare `Error` with code EPIPE (seen with driver 7.9).
 */
const NETWORK_ERRNOS = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function isUnavailable(err: unknown): boolean {
  return (
    (err instanceof Error && 'code' in err && typeof err.code === 'string' && NETWORK_ERRNOS.has(err.code)) ||
    // MongoNetworkError covers timeouts and a cleared pool (their classes extend it).
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError ||
    (err instanceof Error && ['MongoPoolClosedError', 'MongoWaitQueueTimeoutError', 'MongoClientClosedError'].includes(err.name)) ||
    (err instanceof MongoServerError && typeof err.code === 'number' && UNAVAILABLE_CODES.has(err.code))
  );
}

const isDuplicateKey = (err: unknown) => err instanceof MongoServerError && err.code === 11000;

/** FerretDB 1.x answers 238 NotImplemented to TTL and partial indexes. */
const isNotImplemented = (err: unknown) =>
  err instanceof MongoServerError && (err.code === 238 || err.codeName === 'NotImplemented' || /not ?implemented/i.test(err.message));

/**
 * Filters only ever hold user values as equality values; this keeps a non-string that slipped
 * past the types (say `{ $ne: null }` from parsed JSON) from becoming a query operator.
 */
function literal(value: string): string {
  if (typeof value !== 'string') throw new TypeError('store lookups take strings');
  return value;
}

/**
 * The MongoDB store, for MongoDB 6+ and FerretDB 1.x. FerretDB's writes are atomic per insert
 * (unique indexes hold) and per delete (deletedCount is exact), but its findAndModify and update
 * read, then write, without a lock; see takeToken and hitCounter for how each copes.
 */
export class MongoStore implements Store {
  private readonly client: MongoClient;
  private readonly users: Collection<UserDoc>;
  private readonly tokens: Collection<TokenDoc>;
  private readonly counters: Collection<CounterDoc>;
  private readonly logger: Logger;
  private readonly sweepIntervalMs: number;
  private readonly now: () => Date;
  private indexesReady = false;
  private initializing: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly queues = new Map<string, Promise<void>>();
  private readonly tokenLookup = new BatchedLookup<TokenDoc>(
    (hashes) => this.findTokenDocs(hashes),
    TOKEN_QUERIES_IN_FLIGHT,
    TOKEN_QUERY_MAX_KEYS,
  );

  constructor(options: MongoStoreOptions) {
    // Short timeouts: a call fails fast as UNAVAILABLE when the database is down or hangs.
    this.client = new MongoClient(options.uri, {
      serverSelectionTimeoutMS: 2000,
      connectTimeoutMS: 2000,
      socketTimeoutMS: 10_000,
      waitQueueTimeoutMS: 5000,
    });
    const db = this.client.db(options.dbName);
    this.users = db.collection<UserDoc>('users');
    this.tokens = db.collection<TokenDoc>('accessTokens');
    this.counters = db.collection<CounterDoc>('counters');
    this.logger = options.logger;
    this.sweepIntervalMs = options.sweepIntervalMs;
    this.now = options.now ?? (() => new Date());
  }

  /** Every public method runs through here: unreachable-database errors become StoreUnavailableError. */
  private async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw isUnavailable(err) ? new StoreUnavailableError(err) : err;
    }
  }

  /** Connects and ensures indexes; re-callable after a failure (the database was down), a no-op once done. */
  init(): Promise<void> {
    this.initializing ??= this.run(async () => {
      await this.client.connect();
      if (this.indexesReady) return;
      // One index per command: FerretDB 1.24 drops the connection (a panic) when one createIndexes
      // names several indexes that already exist, as on every restart.
      await this.users.createIndex({ realm: 1, email: 1 }, { name: 'realm_email', unique: true });
      await this.users.createIndex({ realm: 1, usernameKey: 1 }, { name: 'realm_usernameKey', unique: true });
      await this.tokens.createIndex({ userId: 1 }, { name: 'userId' });
      // TTL indexes go one by one: a server that refuses them must not fail the others.
      const refused = [];
      for (const collection of [this.tokens, this.counters]) {
        if (!(await this.createTtlIndex(collection))) refused.push(collection.collectionName);
      }
      if (refused.length > 0) {
        this.logger.warn(
          { collections: refused, sweepIntervalMs: this.sweepIntervalMs },
          'TTL index refused by the database; deleting expired documents with a periodic sweep instead',
        );
        this.startSweep();
      }
      this.indexesReady = true;
    }).finally(() => (this.initializing = undefined));
    return this.initializing;
  }

  private async createTtlIndex(collection: Pick<Collection, 'createIndexes'>): Promise<boolean> {
    const index: IndexDescription = { key: { expiresAt: 1 }, name: 'expiresAt_ttl', expireAfterSeconds: 0 };
    try {
      await collection.createIndexes([index]);
      return true;
    } catch (err) {
      if (isNotImplemented(err)) return false;
      throw err;
    }
  }

  private startSweep(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => void this.sweep(), this.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Deletes expired tokens and counters; one run at a time, failures logged and retried next tick. */
  private sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      const expired = { expiresAt: { $lte: this.now() } };
      try {
        const tokens = await this.tokens.deleteMany(expired);
        const counters = await this.counters.deleteMany(expired);
        if (tokens.deletedCount + counters.deletedCount > 0) {
          this.logger.debug({ tokens: tokens.deletedCount, counters: counters.deletedCount }, 'swept expired documents');
        }
      } catch (err) {
        // Down databases are reported by health checks; do not repeat it every sweep.
        if (isUnavailable(err)) this.logger.debug({ err }, 'sweep skipped: database unavailable');
        else this.logger.warn({ err }, 'sweep of expired documents failed');
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  ping(): Promise<void> {
    return this.run(async () => {
      await this.client.db('admin').command({ ping: 1 });
    });
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.sweeping;
    await this.client.close();
  }

  createUser(user: UserRecord): Promise<void> {
    return this.run(async () => {
      const usernameKey = user.username === undefined ? `none:${user.id}` : `name:${user.username}`;
      const doc: UserDoc = {
        _id: user.id,
        realm: user.realm,
        email: user.email,
        ...(user.username === undefined ? {} : { username: user.username }),
        usernameKey,
        passwordHash: user.passwordHash,
        emailVerified: user.emailVerified,
        created: user.created,
      };
      try {
        await this.users.insertOne(doc);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        throw new DuplicateKeyError(await this.duplicateField(err as MongoServerError, user.realm, user.email, usernameKey));
      }
    });
  }

  /**
   * Which unique field a duplicate-key error hit. MongoDB names the index in keyPattern; FerretDB
   * names nothing, so then the taken value is looked up (email first, as the memory store checks).
   */
  private async duplicateField(err: MongoServerError, realm: string, email: string, usernameKey: string) {
    const pattern = Object.keys((err.keyPattern as Record<string, unknown> | undefined) ?? {});
    if (pattern.includes('email')) return 'email';
    if (pattern.includes('usernameKey')) return 'username';
    if (pattern.length === 0) {
      if (await this.users.findOne({ realm, email }, { projection: { _id: 1 } })) return 'email';
      if (await this.users.findOne({ realm, usernameKey }, { projection: { _id: 1 } })) return 'username';
    }
    throw err; // an _id collision: not a field the caller chose
  }

  findUserById(id: string): Promise<UserRecord | undefined> {
    return this.run(async () => toUser(await this.users.findOne({ _id: literal(id) })));
  }

  findUserByEmail(realm: string, email: string): Promise<UserRecord | undefined> {
    return this.run(async () => toUser(await this.users.findOne({ realm: literal(realm), email: literal(email) })));
  }

  findUserByUsername(realm: string, username: string): Promise<UserRecord | undefined> {
    return this.run(async () =>
      toUser(await this.users.findOne({ realm: literal(realm), usernameKey: `name:${literal(username)}` })),
    );
  }

  setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    return this.run(async () => {
      await this.users.updateOne({ _id: literal(userId) }, { $set: { passwordHash } });
    });
  }

  insertToken(token: TokenRecord): Promise<void> {
    return this.run(async () => {
      await this.tokens.insertOne({
        _id: token.hash,
        userId: token.userId,
        realm: token.realm,
        scopes: [...token.scopes],
        created: token.created,
        ttlSeconds: token.ttlSeconds,
        ...(token.expiresAt === undefined ? {} : { expiresAt: token.expiresAt }),
      });
    });
  }

  findToken(hash: string): Promise<TokenRecord | undefined> {
    return this.run(async () => toToken((await this.tokenLookup.load(literal(hash))) ?? null));
  }

  private async findTokenDocs(hashes: string[]): Promise<Map<string, TokenDoc>> {
    const docs =
      hashes.length < TOKEN_QUERY_MIN_IN_KEYS
        ? await Promise.all(hashes.map((hash) => this.tokens.findOne({ _id: hash })))
        : await this.tokens.find({ _id: { $in: hashes } }).toArray();
    return new Map(docs.flatMap((doc) => (doc ? [[doc._id, doc] as const] : [])));
  }

  /**
   * Read, then delete: whoever's delete removes the document owns it. findOneAndDelete would be
   * one round trip on MongoDB, but on FerretDB two concurrent calls can both get the document.
   */
  takeToken(hash: string): Promise<TokenRecord | undefined> {
    return this.run(async () => {
      const doc = await this.tokens.findOne({ _id: literal(hash) });
      if (!doc) return undefined;
      const { deletedCount } = await this.tokens.deleteOne({ _id: doc._id });
      return deletedCount === 1 ? toToken(doc) : undefined;
    });
  }

  deleteUserTokens(userId: string, keepHash?: string): Promise<number> {
    return this.run(async () => {
      const filter = keepHash === undefined ? { userId: literal(userId) } : { userId: literal(userId), _id: { $ne: literal(keepHash) } };
      return (await this.tokens.deleteMany(filter)).deletedCount;
    });
  }

  /**
   * Starts a new window when the current one began before windowStart, then counts the hit in one
   * upsert. On MongoDB each step is atomic across processes. FerretDB 1.x runs findAndModify as a
   * read, then a write, and loses concurrent $inc; hits on one key are therefore also serialized in
   * this process, which makes FerretDB exact for one instance (not for several sharing a database).
   */
  hitCounter(key: string, now: Date, windowStart: Date): Promise<Counter> {
    return this.run(() =>
      this.serialized(`counter:${literal(key)}`, async () => {
        await this.counters.deleteOne({ _id: key, first: { $lt: windowStart } });
        for (let attempt = 1; ; attempt++) {
          try {
            const doc = await this.counters.findOneAndUpdate(
              { _id: key },
              {
                $inc: { count: 1 },
                $set: { last: now, expiresAt: new Date(now.getTime() + COUNTER_LIFETIME_MS) },
                $setOnInsert: { first: now },
              },
              { upsert: true, returnDocument: 'after' },
            );
            if (!doc) throw new Error('upsert returned no counter');
            return toCounter(doc);
          } catch (err) {
            // Two processes upserting one new key: the loser retries once and updates.
            if (attempt >= 2 || !isDuplicateKey(err)) throw err;
          }
        }
      }),
    );
  }

  /** Runs operations on one key one after another, within this process. */
  private async serialized<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const before = this.queues.get(key);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = before ? before.then(() => mine) : mine;
    this.queues.set(key, tail);
    try {
      await before;
      return await operation();
    } finally {
      done();
      if (this.queues.get(key) === tail) this.queues.delete(key);
    }
  }

  getCounter(key: string): Promise<Counter | undefined> {
    return this.run(async () => {
      const doc = await this.counters.findOne({ _id: literal(key) });
      return doc ? toCounter(doc) : undefined;
    });
  }

  deleteCounter(key: string): Promise<void> {
    return this.run(async () => {
      await this.counters.deleteOne({ _id: literal(key) });
    });
  }
}

function toUser(doc: UserDoc | null): UserRecord | undefined {
  if (!doc) return undefined;
  return {
    id: doc._id,
    realm: doc.realm,
    email: doc.email,
    username: doc.username ?? undefined,
    passwordHash: doc.passwordHash,
    emailVerified: doc.emailVerified,
    created: doc.created,
  };
}

function toToken(doc: TokenDoc | null): TokenRecord | undefined {
  if (!doc) return undefined;
  return {
    hash: doc._id,
    userId: doc.userId,
    realm: doc.realm,
    scopes: [...doc.scopes],
    created: doc.created,
    ttlSeconds: doc.ttlSeconds,
    expiresAt: doc.expiresAt instanceof Date ? doc.expiresAt : undefined,
  };
}

const toCounter = (doc: CounterDoc): Counter => ({ count: doc.count, first: doc.first, last: doc.last });
