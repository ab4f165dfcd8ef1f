import { MongoClient } from 'mongodb';
import type { Logger } from '../logger.js';
import { MongoAttemptStore, type AttemptDoc } from './attempts/mongo.js';
import { MongoIdentityStore, type IdentityDoc } from './identities/mongo.js';
import { MongoLoginStateStore, type LoginStateDoc } from './login-states/mongo.js';
import { guarded } from './mongo/errors.js';
import { Expiry, type ExpiringCollection } from './mongo/expiry.js';
import type { Storage } from './storage.js';
import { MongoTokenStore, type TokenDoc } from './tokens/mongo.js';
import { MongoUserStore, type UserDoc } from './users/mongo.js';

export interface MongoStorageOptions {
  uri: string;
  dbName: string;
  logger: Logger;
  /** How often expired documents are deleted when the server refuses TTL indexes. */
  sweepIntervalMs: number;
  now?: () => Date;
  /** How long to wait on a slow database: `calls` (the default) or `batch`. */
  patience?: Patience;
}

/**
 * `calls`: a call fails fast (UNAVAILABLE) when the database is down or hangs. `batch`: a job that
 * writes for minutes (the LoopBack import) waits on a busy database rather than give up midway.
 */
export type Patience = 'calls' | 'batch';

const TIMEOUTS: Record<Patience, { serverSelectionTimeoutMS: number; connectTimeoutMS: number; socketTimeoutMS: number; waitQueueTimeoutMS: number }> = {
  calls: { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000, socketTimeoutMS: 10_000, waitQueueTimeoutMS: 5000 },
  batch: { serverSelectionTimeoutMS: 30_000, connectTimeoutMS: 30_000, socketTimeoutMS: 300_000, waitQueueTimeoutMS: 300_000 },
};

/** The MongoDB backend, for MongoDB 6+ and FerretDB 1.x: one client, one collection per aggregate. */
export function createMongoStorage(options: MongoStorageOptions): Storage {
  const client = new MongoClient(options.uri, TIMEOUTS[options.patience ?? 'calls']);
  const db = client.db(options.dbName);
  const users = new MongoUserStore(db.collection<UserDoc>('users'));
  const tokens = new MongoTokenStore(db.collection<TokenDoc>('accessTokens'));
  const attempts = new MongoAttemptStore(db.collection<AttemptDoc>('attempts'));
  const identities = new MongoIdentityStore(db.collection<IdentityDoc>('identities'));
  const loginStates = new MongoLoginStateStore(db.collection<LoginStateDoc>('loginStates'));
  const expiry = new Expiry(options.logger, options.sweepIntervalMs, options.now ?? (() => new Date()));

  let prepared = false;
  let initializing: Promise<void> | undefined;
  const init = (): Promise<void> => {
    initializing ??= guarded(async () => {
      await client.connect();
      if (prepared) return;
      await users.ensureIndexes();
      await tokens.ensureIndexes();
      await attempts.ensureIndexes();
      await identities.ensureIndexes();
      await expiry.ensure([tokens.collection, attempts.collection, loginStates.collection] as unknown as ExpiringCollection[]);
      prepared = true;
    }).finally(() => (initializing = undefined));
    return initializing;
  };

  return {
    users,
    tokens,
    attempts,
    identities,
    loginStates,
    lifecycle: {
      init,
      ping: () =>
        guarded(async () => {
          await client.db('admin').command({ ping: 1 });
        }),
      async close() {
        await expiry.stop();
        await client.close();
      },
    },
  };
}
