import type { Collection } from 'mongodb';
import { guarded, isDuplicateKey, literal } from '../mongo/errors.js';
import { KeyedQueue } from '../mongo/keyed-queue.js';
import type { Counter, CounterStore } from './port.js';

/** The events of one key in the current window. */
export interface CounterDoc {
  _id: string;
  count: number;
  first: Date;
  last: Date;
  expiresAt: Date;
}

/** Counters outlive their last event by a day (the longest window the service uses), then expire. */
const COUNTER_LIFETIME_MS = 24 * 3600_000;

/** Counters in the `counters` collection. */
export class MongoCounterStore implements CounterStore {
  private readonly queue = new KeyedQueue();

  constructor(readonly collection: Collection<CounterDoc>) {}

  /**
   * Starts a new window when the current one began before windowStart, then counts the hit in one
   * upsert. On MongoDB each step is atomic across processes. FerretDB 1.x runs findAndModify as a
   * read, then a write, and loses concurrent $inc; hits on one key are therefore also serialized in
   * this process, which makes FerretDB exact for one instance (not for several sharing a database).
   */
  hit(key: string, now: Date, windowStart: Date): Promise<Counter> {
    return guarded(() =>
      this.queue.run(literal(key), async () => {
        await this.collection.deleteOne({ _id: key, first: { $lt: windowStart } });
        for (let attempt = 1; ; attempt++) {
          try {
            const doc = await this.collection.findOneAndUpdate(
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

  get(key: string): Promise<Counter | undefined> {
    return guarded(async () => {
      const doc = await this.collection.findOne({ _id: literal(key) });
      return doc ? toCounter(doc) : undefined;
    });
  }

  delete(key: string): Promise<void> {
    return guarded(async () => {
      await this.collection.deleteOne({ _id: literal(key) });
    });
  }
}

const toCounter = (doc: CounterDoc): Counter => ({ count: doc.count, first: doc.first, last: doc.last });
