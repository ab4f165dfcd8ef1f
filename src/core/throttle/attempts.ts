import type { Attempt } from '../../storage/attempts/port.js';
import type { CoreContext } from '../context.js';

/** Contention on one key past this many lost races means a storm: the caller is told to come back. */
const MAX_RACES = 20;

export type Admission = { admitted: true; n: number } | { admitted: false; retryAfterMs: number };

/**
 * Takes the next numbered attempt of `key` unless `blockedForMs(latest, now)` says to wait. The number
 * is claimed in the store before the caller does anything, so a burst of concurrent callers is
 * counted in full, one by one, on every replica. Attempts older than `windowMs` are forgotten.
 */
export async function admitAttempt(
  ctx: CoreContext,
  key: string,
  windowMs: number,
  blockedForMs: (latest: Attempt, now: Date) => number,
): Promise<Admission> {
  for (let race = 0; race < MAX_RACES; race++) {
    const now = ctx.now();
    let latest = await ctx.attempts.latest(key);
    if (latest && latest.at.getTime() <= now.getTime() - windowMs) {
      await ctx.attempts.forget(key);
      latest = undefined;
    }
    const waitMs = latest ? blockedForMs(latest, now) : 0;
    if (waitMs > 0) return { admitted: false, retryAfterMs: waitMs };
    const n = (latest?.n ?? 0) + 1;
    if (await ctx.attempts.record(key, { n, at: now }, new Date(now.getTime() + windowMs))) return { admitted: true, n };
  }
  return { admitted: false, retryAfterMs: 1000 };
}
