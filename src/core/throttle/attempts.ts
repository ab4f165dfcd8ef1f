import type { Tally } from '../../storage/attempts/port.js';
import type { CoreContext } from '../context.js';

/** Contention on one key past this many lost races means a storm: the caller is told to come back. */
const MAX_RACES = 20;

export type Admission = { admitted: true; n: number } | { admitted: false; retryAfterMs: number };

/**
 * Counts an attempt of `key` unless `blockedForMs(counted, now)` says to wait. The attempt is stored
 * (a new number, by unique insert) before the caller does anything, and the caller then counts every
 * other attempt stored by then, whatever its number (a number given back may be taken again): of
 * callers racing on any replicas, the last to count sees all the others, so no more go on than the
 * limit leaves room for; the others give their number back. Attempts older than `windowMs` are
 * forgotten.
 */
export async function admitAttempt(
  ctx: CoreContext,
  key: string,
  windowMs: number,
  blockedForMs: (counted: Tally, now: Date) => number,
): Promise<Admission> {
  for (let race = 0; race < MAX_RACES; race++) {
    const now = ctx.now();
    let counted = await ctx.attempts.tally(key);
    if (counted.latest && counted.latest.at.getTime() <= now.getTime() - windowMs) {
      await ctx.attempts.forget(key);
      counted = { count: 0, latest: undefined };
    }
    // A first look, so that a locked key costs no write.
    const waitMs = blockedForMs(counted, now);
    if (waitMs > 0) return { admitted: false, retryAfterMs: waitMs };
    const n = (counted.latest?.n ?? 0) + 1;
    if (!(await ctx.attempts.record(key, { n, at: now }, new Date(now.getTime() + windowMs)))) continue;
    const raceWaitMs = blockedForMs(await ctx.attempts.tally(key, n), now);
    if (raceWaitMs <= 0) return { admitted: true, n };
    await ctx.attempts.release(key, n);
    return { admitted: false, retryAfterMs: raceWaitMs };
  }
  return { admitted: false, retryAfterMs: 1000 };
}
