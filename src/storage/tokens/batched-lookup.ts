interface Waiter<V> {
  key: string;
  resolve: (value: V | undefined) => void;
  reject: (reason: unknown) => void;
}

/**
 * Lookups by key that share database round trips under load. At most `maxInFlight` queries run
 * at once; a lookup that arrives while all are busy waits, and when a query returns, everything
 * waiting goes out together as one query (up to `maxBatch` keys). An idle store therefore sends a
 * lookup at once, alone, and a busy one sends one query per many lookups instead of one each.
 *
 * A lookup never joins a query already sent: it is answered by a read that started after it was
 * asked, so it sees every write (say, a revocation) that completed before it.
 */
export class BatchedLookup<V> {
  private readonly waiting: Waiter<V>[] = [];
  private inFlight = 0;

  constructor(
    /** Finds the given distinct keys; keys missing from the map were not found. */
    private readonly loadMany: (keys: string[]) => Promise<Map<string, V>>,
    private readonly maxInFlight: number,
    private readonly maxBatch: number,
  ) {}

  load(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ key, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      this.loadMany([...new Set(batch.map((waiter) => waiter.key))])
        .then(
          (found) => batch.forEach((waiter) => waiter.resolve(found.get(waiter.key))),
          (err: unknown) => batch.forEach((waiter) => waiter.reject(err)),
        )
        .finally(() => {
          this.inFlight--;
          this.dispatch();
        });
    }
  }
}
