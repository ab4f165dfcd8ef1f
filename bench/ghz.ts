import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectNoErrors, type Load } from './load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The ghz binary, built by scripts/tools.sh into its cache on first use. */
export function ghzBinary(): string {
  const out = execFileSync('bash', [join(ROOT, 'scripts/tools.sh'), 'ghz'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return join(out.trim().split('\n').at(-1) ?? '', 'ghz');
}

export interface GhzRun {
  address: string;
  /** e.g. 'ValidateToken': a method of auth.v1.AuthService. */
  method: string;
  /** Requests, sent round-robin (ghz cycles through an array of messages). */
  data: object[];
  concurrency: number;
  /** Run for this long... */
  seconds?: number;
  /** ...or for this many requests. */
  total?: number;
  /** Open-loop rate limit; unset means as fast as the server answers. */
  rps?: number;
  /** Each call's deadline; ghz's default is 20 s. */
  timeoutMs?: number;
}

export interface GhzReport {
  count: number;
  rps: number;
  statusCodeDistribution?: Record<string, number>;
  errorDistribution?: Record<string, number>;
  latencyDistribution: Array<{ percentage: number; latency: number }> | null;
}

/**
 * One ghz run over the proto file (no reflection, so the baseline server needs none). At full
 * speed ghz gets one core, leaving the rest to the server; at a fixed rate it gets them all, so
 * that its own scheduling adds as little as it can to the latencies. Calls in flight at the end
 * of a timed run are left out of the tally (--duration-stop ignore), not counted as failures.
 * The report as ghz wrote it, failures included.
 */
export async function ghzReport(binary: string, run: GhzRun): Promise<GhzReport> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ghz-'));
  try {
    const dataFile = join(dir, 'data.json');
    const reportFile = join(dir, 'report.json');
    writeFileSync(dataFile, JSON.stringify(run.data));
    const args = [
      '--insecure', '--proto', join(ROOT, 'proto/auth/v1/auth.proto'), '--import-paths', join(ROOT, 'proto'),
      '--call', `auth.v1.AuthService/${run.method}`, '--data-file', dataFile,
      '--concurrency', String(run.concurrency), '--connections', '1', '--cpus', String(run.rps ? cpus().length : 1),
      '--duration-stop', 'ignore', '--format', 'json', '--output', reportFile,
      ...(run.seconds ? ['--duration', `${run.seconds}s`] : ['--total', String(run.total ?? 1000)]),
      ...(run.rps ? ['--rps', String(Math.round(run.rps))] : []),
      ...(run.timeoutMs ? ['--timeout', `${run.timeoutMs}ms`] : []),
      run.address,
    ];
    await new Promise<void>((resolve, reject) =>
      execFile(binary, args, { maxBuffer: 1 << 20 }, (err, _stdout, stderr) => (err ? reject(new Error(`ghz failed: ${stderr}`, { cause: err })) : resolve())),
    );
    return JSON.parse(readFileSync(reportFile, 'utf8')) as GhzReport;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One ghz run as a Load: throws when any call failed. */
export async function ghz(binary: string, run: GhzRun): Promise<Load> {
  const report = await ghzReport(binary, run);
  const ok = report.statusCodeDistribution?.OK ?? 0;
  const percentile = (p: number) => (report.latencyDistribution?.find((entry) => entry.percentage === p)?.latency ?? NaN) / 1e6;
  const load = { rps: report.rps, p50Ms: percentile(50), p99Ms: percentile(99), ok, errors: report.count - ok };
  return expectNoErrors(`ghz ${run.method} on ${run.address}`, load, JSON.stringify(report.errorDistribution ?? {}));
}
