import type { Collection, IndexDescription } from 'mongodb';
import type { Logger } from '../../logger.js';
import { isNotImplemented, isUnavailable } from './errors.js';

/** A collection whose documents carry `expiresAt` (absent: never expires). */
export type ExpiringCollection = Collection<{ _id: string; expiresAt?: Date }>;

const TTL_INDEX: IndexDescription = { key: { expiresAt: 1 }, name: 'expiresAt_ttl', expireAfterSeconds: 0 };

/**
 * Deletes expired documents: a TTL index where the server has them, else a periodic sweep (FerretDB
 * 1.x refuses TTL indexes), logged once. Expiry is also checked on every read, by the core.
 */
export class Expiry {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private swept: ExpiringCollection[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly sweepIntervalMs: number,
    private readonly now: () => Date,
  ) {}

  /** Creates each TTL index, one by one so that a refusal does not fail the others. */
  async ensure(collections: ExpiringCollection[]): Promise<void> {
    const refused: ExpiringCollection[] = [];
    for (const collection of collections) {
      try {
        await collection.createIndexes([TTL_INDEX]);
      } catch (err) {
        if (!isNotImplemented(err)) throw err;
        refused.push(collection);
      }
    }
    if (refused.length === 0) return;
    this.logger.warn(
      { collections: refused.map((c) => c.collectionName), sweepIntervalMs: this.sweepIntervalMs },
      'TTL index refused by the database; deleting expired documents with a periodic sweep instead',
    );
    this.swept = refused;
    this.timer ??= setInterval(() => void this.sweep(), this.sweepIntervalMs);
    this.timer.unref();
  }

  /** One run at a time; failures are logged and retried at the next tick. */
  private sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      const expired = { expiresAt: { $lte: this.now() } };
      try {
        const deleted: Record<string, number> = {};
        for (const collection of this.swept) deleted[collection.collectionName] = (await collection.deleteMany(expired)).deletedCount;
        if (Object.values(deleted).some((count) => count > 0)) this.logger.debug(deleted, 'swept expired documents');
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

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }
}
