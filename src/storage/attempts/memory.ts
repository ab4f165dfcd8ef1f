import type { Attempt, AttemptStore, Tally } from './port.js';

interface Stored extends Attempt {
  expiresAt: Date;
  settled: boolean;
}

/** Attempts in maps, lost on restart; each method is atomic (one turn of the event loop). */
export class MemoryAttemptStore implements AttemptStore {
  private readonly byKey = new Map<string, Map<number, Stored>>();

  async tally(key: string, except?: number): Promise<Tally> {
    let count = 0;
    let latest: Stored | undefined;
    for (const attempt of this.byKey.get(key)?.values() ?? []) {
      if (attempt.n === except) continue;
      count++;
      if (!latest || attempt.n > latest.n) latest = attempt;
    }
    return { count, latest: latest && { n: latest.n, at: latest.at } };
  }

  async record(key: string, attempt: Attempt, expiresAt: Date): Promise<boolean> {
    let attempts = this.byKey.get(key);
    if (!attempts) this.byKey.set(key, (attempts = new Map()));
    if (attempts.has(attempt.n)) return false;
    attempts.set(attempt.n, { n: attempt.n, at: attempt.at, expiresAt, settled: false });
    return true;
  }

  async forget(key: string, upTo = Number.POSITIVE_INFINITY): Promise<void> {
    const attempts = this.byKey.get(key);
    for (const n of attempts?.keys() ?? []) if (n <= upTo) attempts?.delete(n);
    if (attempts?.size === 0) this.byKey.delete(key);
  }

  async release(key: string, n: number): Promise<void> {
    this.byKey.get(key)?.delete(n);
    if (this.byKey.get(key)?.size === 0) this.byKey.delete(key);
  }

  async settle(key: string, n: number): Promise<void> {
    const attempt = this.byKey.get(key)?.get(n);
    if (attempt) attempt.settled = true;
  }

  async overlapped(key: string, n: number): Promise<boolean> {
    for (const attempt of this.byKey.get(key)?.values() ?? []) if (attempt.n > n || (attempt.n < n && !attempt.settled)) return true;
    return false;
  }

  /** Drops attempts past their expiry; the embedded backend's sweep calls it. */
  sweep(now: Date): number {
    let dropped = 0;
    for (const [key, attempts] of this.byKey) {
      for (const [n, attempt] of attempts) {
        if (attempt.expiresAt <= now) {
          attempts.delete(n);
          dropped++;
        }
      }
      if (attempts.size === 0) this.byKey.delete(key);
    }
    return dropped;
  }
}
