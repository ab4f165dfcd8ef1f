import type { Collection } from 'mongodb';
import { guarded, isDuplicateKey, literal } from '../mongo/errors.js';
import type { Attempt, AttemptStore, Tally } from './port.js';

export interface AttemptDoc {
  /** `<key>#<n>`: the unique _id is what hands each number to one caller. */
  _id: string;
  key: string;
  n: number;
  at: Date;
  expiresAt: Date;
  /** Set once the attempt has finished; absent while it runs. */
  settled?: true;
}

const idOf = (key: string, n: number): string => `${literal(key)}#${n}`;

/**
 * Attempts in the `attempts` collection. A unique insert is atomic on MongoDB and FerretDB alike,
 * across processes, where FerretDB's findAndModify and $inc are not.
 */
export class MongoAttemptStore implements AttemptStore {
  constructor(readonly collection: Collection<AttemptDoc>) {}

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ key: 1, n: -1 }, { name: 'key_n' });
  }

  tally(key: string, except?: number): Promise<Tally> {
    return guarded(async () => {
      const filter = except === undefined ? { key: literal(key) } : { key: literal(key), n: { $ne: except } };
      const [count, doc] = await Promise.all([
        this.collection.countDocuments(filter),
        this.collection.findOne(filter, { sort: { n: -1 }, projection: { n: 1, at: 1 } }),
      ]);
      return { count, latest: doc ? { n: doc.n, at: doc.at } : undefined };
    });
  }

  record(key: string, attempt: Attempt, expiresAt: Date): Promise<boolean> {
    return guarded(async () => {
      try {
        await this.collection.insertOne({ _id: idOf(key, attempt.n), key, n: attempt.n, at: attempt.at, expiresAt });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    });
  }

  forget(key: string, upTo?: number): Promise<void> {
    return guarded(async () => {
      await this.collection.deleteMany(upTo === undefined ? { key: literal(key) } : { key: literal(key), n: { $lte: upTo } });
    });
  }

  release(key: string, n: number): Promise<void> {
    return guarded(async () => {
      await this.collection.deleteOne({ _id: idOf(key, n) });
    });
  }

  settle(key: string, n: number): Promise<void> {
    return guarded(async () => {
      await this.collection.updateOne({ _id: idOf(key, n) }, { $set: { settled: true } });
    });
  }

  overlapped(key: string, n: number): Promise<boolean> {
    return guarded(async () => {
      const other = await this.collection.findOne(
        { key: literal(key), $or: [{ n: { $gt: n } }, { n: { $lt: n }, settled: { $exists: false } }] },
        { projection: { _id: 1 } },
      );
      return other !== null;
    });
  }
}
