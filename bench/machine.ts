import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

/** What ran the bench: the machine, and the Node.js that every measured process runs on. */
export interface Machine {
  cpus: number;
  model: string;
  memGiB: number;
  /** process.version of the bench, which starts the service and the baselines with its own binary. */
  node: string;
  v8: string;
  /** The Node.js release the image runs (Dockerfile NODE_IMAGE): production's figures come from it. */
  imageNode: string;
  loadAverageAtStart: number[];
}

/** The Node.js release of the Dockerfile's base image, `ARG NODE_IMAGE=node:X.Y.Z-variant`. */
function imageNodeVersion(): string {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
  const version = /^ARG NODE_IMAGE=node:(\d+(?:\.\d+){0,2})\b/m.exec(dockerfile)?.[1];
  if (!version) throw new Error('bench: the Dockerfile has no ARG NODE_IMAGE=node:<version>...');
  return version;
}

export function describeMachine(): Machine {
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    imageNode: imageNodeVersion(),
    loadAverageAtStart: loadavg(),
  };
}

/** Whether the bench ran on the image's Node.js (the same release, or the same line when the image names only that). */
export const onImageNode = (machine: Pick<Machine, 'node' | 'imageNode'>): boolean =>
  machine.imageNode.split('.').every((part, i) => part === machine.node.replace(/^v/, '').split('.')[i]);

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
