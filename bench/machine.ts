import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** Busy and total jiffies of all CPUs together: the first line of /proc/stat, up to steal (guest time is already in user). */
function cpuTimes(): { busy: number; total: number } {
  const [, user = 0, nice = 0, system = 0, idle = 0, iowait = 0, ...rest] = readFileSync('/proc/stat', 'utf8').split(/\s+/, 9).map(Number);
  const busy = user + nice + system + rest.reduce((sum, value) => sum + value, 0);
  return { busy, total: busy + idle + iowait };
}

/** Fraction of all cores busy over the next `ms`. */
async function busyFraction(ms: number): Promise<number> {
  const before = cpuTimes();
  await delay(ms);
  const after = cpuTimes();
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
}

/** Below this share of all cores in use by others, the machine counts as quiet. */
export const QUIET = 0.1;

/**
 * Waits, up to maxWaitMs, for a second in which other work leaves the machine quiet (the bench
 * runs nothing between sections), and returns the busy share last seen: this machine is shared,
 * and a section measured beside someone's test suite says more about them than about us.
 */
export async function waitForQuiet(maxWaitMs: number): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  let busy = await busyFraction(1000);
  while (busy > QUIET && Date.now() < deadline) busy = await busyFraction(1000);
  return busy;
}
