import { fileURLToPath } from 'node:url';
import type { Context } from './context.js';
import type { Load } from './load.js';
import { peakRssMiB, spawnReady, type Child } from './procs.js';

const script = (name: string): string => fileURLToPath(new URL(`./baselines/${name}`, import.meta.url));

/** The empty grpc-js ValidateToken server; `address` is where it listens. */
export async function startGrpcBaseline(): Promise<Child & { address: string }> {
  const child = await spawnReady(process.execPath, [script('grpc-empty.mjs')], { PORT: '0' }, (line) => line.msg === 'baseline started');
  return { ...child, address: `127.0.0.1:${String(child.ready.port)}` };
}

/** The memory floor: Node.js with grpc-js and Fastify, REST validation answering a constant; `url` is its HTTP address. */
export async function startRestBaseline(): Promise<Child & { url: string }> {
  const child = await spawnReady(process.execPath, [script('rest-empty.mjs')], { PORT: '0' }, (line) => line.msg === 'baseline started');
  return { ...child, url: String(child.ready.url) };
}

/**
 * bcrypt.compare alone at the service's cost on every core: a libuv pool of one thread per core,
 * kept busy with twice as many calls in flight. Runs once for ctx.seconds after a warm-up.
 */
export async function bcryptBaseline(ctx: Context): Promise<Load> {
  const child = await spawnReady(
    process.execPath,
    [script('bcrypt-compare.mjs')],
    {
      BCRYPT_COST: String(ctx.bcryptCost),
      UV_THREADPOOL_SIZE: String(ctx.cpus),
      CONCURRENCY: String(2 * ctx.cpus),
      WARMUP_MS: String(ctx.warmupSeconds * 1000),
      DURATION_MS: String(ctx.seconds * 1000),
    },
    (line) => line.msg === 'result',
    (ctx.warmupSeconds + ctx.seconds) * 1000 + 20_000,
  );
  try {
    const { rps, p50Ms, p99Ms, count } = child.ready as { rps: number; p50Ms: number; p99Ms: number; count: number };
    return { rps, p50Ms, p99Ms, ok: count, errors: 0, peakRssMiB: peakRssMiB(child.pid) };
  } finally {
    await child.stop();
  }
}
