import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoErrors, type Load } from './load.js';

/**
 * h2load (Debian/Ubuntu: nghttp2-client), when installed. It spends about 2.5 µs of CPU per call
 * where ghz spends about 30, close to what the server itself spends: on a 2-core machine only
 * h2load drives a grpc-js server to its limit. It speaks gRPC as plain HTTP/2, one fixed request
 * body and no trailers read, so it drives only calls whose answers are all alike (ValidateToken of
 * one token) and a run counts as clean only if the answers' bytes add up to that many such answers
 * (a failed gRPC call answers HTTP 200 without a message).
 */
export function h2loadBinary(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v h2load'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface H2Run {
  address: string;
  /** e.g. '/auth.v1.AuthService/ValidateToken' */
  path: string;
  /** The request message, protobuf-encoded. */
  message: Uint8Array;
  /** Calls in flight, as HTTP/2 streams on one connection (like ghz's concurrency on one connection). */
  concurrency: number;
  seconds?: number;
  total?: number;
  /** Rate limit; unset means as fast as the server answers. */
  rps?: number;
}

/** gRPC's length-prefixed message: a 0 (uncompressed) byte, then the length as uint32 big-endian. */
function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

interface Outcome {
  done: number;
  succeeded: number;
  dataBytes: number;
  rps: number;
  latenciesUs: number[];
}

async function runH2load(binary: string, run: H2Run, withLog: boolean): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-h2load-'));
  try {
    writeFileSync(join(dir, 'body'), grpcFrame(run.message));
    const args = [
      '--clients', '1', '--threads', '1', '--max-concurrent-streams', String(run.concurrency),
      '--header', 'content-type: application/grpc', '--header', 'te: trailers', '--data', join(dir, 'body'),
      ...(run.seconds ? ['--duration', String(run.seconds)] : ['--requests', String(run.total ?? 1)]),
      ...(run.rps ? ['--rps', String(Math.round(run.rps))] : []),
      ...(withLog ? ['--log-file', join(dir, 'log')] : []),
      `http://${run.address}${run.path}`,
    ];
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(binary, args, { maxBuffer: 1 << 20 }, (err, out, stderr) => (err ? reject(new Error(`h2load failed: ${stderr}`, { cause: err })) : resolve(out))),
    );
    const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? NaN);
    const latenciesUs = withLog
      ? readFileSync(join(dir, 'log'), 'utf8').trim().split('\n').map((line) => Number(line.split('\t')[2]))
      : [];
    return {
      done: number(/requests: \d+ total, \d+ started, (\d+) done/),
      succeeded: number(/(\d+) succeeded/),
      dataBytes: number(/\((\d+)\) data/),
      rps: number(/finished in [\d.]+m?s, ([\d.]+) req\/s/),
      latenciesUs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function h2load(binary: string, run: H2Run): Promise<Load> {
  // One call first: its answer's size is what every answer of the run must have.
  const probe = await runH2load(binary, { ...run, seconds: undefined, total: 1, rps: undefined }, false);
  const answerBytes = probe.dataBytes;
  const outcome = await runH2load(binary, run, true);
  // A timed run may end with answers in flight whose bytes arrived but which are not counted done.
  const answers = outcome.dataBytes / answerBytes;
  const clean = outcome.succeeded === outcome.done && Number.isInteger(answers) && answers >= outcome.done && answers <= outcome.done + run.concurrency;
  const sorted = outcome.latenciesUs.sort((a, b) => a - b);
  const percentile = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN) / 1000;
  const load = {
    rps: outcome.rps,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    ok: clean ? outcome.done : 0,
    errors: clean ? 0 : outcome.done,
  };
  return expectNoErrors(`h2load ${run.path} on ${run.address}`, load, `(${outcome.dataBytes} data bytes for ${outcome.done} answers of ${answerBytes})`);
}
