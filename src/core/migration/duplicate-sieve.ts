import { hash } from 'node:crypto';

/**
 * Tells which keys may occur more than once in a stream too large to hold: a first pass adds every
 * key, keeping only a 31-bit fingerprint of each (small integers, about 20 bytes a key); a second
 * pass asks about each key, and holds on to those whose fingerprint was seen twice. Those are the
 * real repeats plus a few fingerprint collisions (about n²/2³² of them), which comparing the keys
 * themselves then sets apart.
 */
export class DuplicateSieve {
  private readonly seen = new Set<number>();
  private readonly repeated = new Set<number>();

  add(key: string): void {
    const print = fingerprint(key);
    if (this.seen.has(print)) this.repeated.add(print);
    else this.seen.add(print);
  }

  mayRepeat(key: string): boolean {
    return this.repeated.has(fingerprint(key));
  }
}

/** Exported for tests, which look for two keys that share one. */
export const fingerprint = (key: string): number => hash('sha256', key, 'buffer').readUInt32BE(0) >>> 1;
