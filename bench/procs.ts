import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

/** Every process the bench started itself, killed at the end whatever happens. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
// Signals end node without 'exit' handlers unless handled; these run them (and FerretDB's).
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

/** Registers a child for the final kill; returns its stop: SIGTERM, then SIGKILL after 5 s. */
export function track(child: ChildProcess): () => Promise<void> {
  children.add(child);
  const exited = once(child, 'exit').finally(() => children.delete(child));
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
}

function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]);
}

/** The process's resident set now, in MiB. */
export const rssMiB = (pid: number): number => statusKiB(pid, 'VmRSS') / 1024;

/** The largest resident set since start or since resetPeakRss, in MiB. */
export const peakRssMiB = (pid: number): number => statusKiB(pid, 'VmHWM') / 1024;

/** CPU time the process (all its threads) has used, in seconds: utime + stime from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
/** USER_HZ, 100 on every Linux that Node supports. */
const CLOCK_TICKS = 100;

/**
 * Runs `measure` and adds the CPU the process used meanwhile, in % of one core; given several
 * processes (a server and its database), their sum.
 */
export async function withCpu<T extends object>(pids: number | number[], measure: () => Promise<T>): Promise<T & { cpuPercent: number }> {
  const total = () => [pids].flat().reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const cpuBefore = total();
  const started = performance.now();
  const result = await measure();
  return { ...result, cpuPercent: (100 * (total() - cpuBefore)) / ((performance.now() - started) / 1000) };
}

/** Starts a new peak (Linux: writing 5 to clear_refs resets VmHWM), so each scenario gets its own. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

export interface Child {
  pid: number;
  /** The first JSON line that matched `ready`. */
  ready: Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * Spawns a helper process (a baseline or LoopBack) and resolves once it prints a JSON line that
 * `ready` accepts; rejects with its output if it exits first or takes longer than timeoutMs.
 */
export async function spawnReady(
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: (line: Record<string, unknown>) => boolean,
  timeoutMs = 20_000,
): Promise<Child> {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const { stdout, stderr, pid } = child;
  if (pid === undefined) throw new Error(`${command} did not start`);
  const stop = track(child);
  const exited = once(child, 'exit');
  const output: string[] = [];
  createInterface({ input: stderr }).on('line', (line) => output.push(line));
  const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => fail('did not get ready in time'), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: ${why}\n${output.slice(-20).join('\n')}`));
    };
    void exited.then(() => fail('exited before it was ready'));
    createInterface({ input: stdout }).on('line', (text) => {
      output.push(text);
      try {
        const parsed = JSON.parse(text) as Record<string, unknown>;
        if (ready(parsed)) {
          clearTimeout(timer);
          resolve(parsed);
        }
      } catch {
        // not JSON: kept in output for the error message only
      }
    });
  });
  return { pid, ready: line, stop };
}
