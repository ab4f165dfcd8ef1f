import { setTimeout as delay } from 'node:timers/promises';
import type { Context } from './context.js';
import { seedGrpc } from './fixtures.js';
import { peakRssMiB, rssMiB, withCpu } from './procs.js';
import { row, type Section } from './report.js';
import { startService, type Service } from './service.js';
import { validateClient, validateLoad } from './validate-load.js';

const GROWTH_LIMIT = 0.1;
/** The clients keep every call's latency (ghz far more): runs are split into chunks of this many. */
const CHUNK = 100_000;
/** Time for the full GC that SIGUSR2 asks for (see gc-on-signal.mjs) to finish. */
const GC_MS = 1000;
const GC_PRELOAD = new URL('./gc-on-signal.mjs', import.meta.url).href;

/**
 * RSS and V8 heap in use right after a full GC: garbage comes and goes in a sawtooth of ±15 % at
 * this call rate, so only memory that survives a collection tells a leak from a GC's timing.
 */
async function memoryAfterGc(service: Service): Promise<{ rss: number; heap: number }> {
  process.kill(service.pid, 'SIGUSR2');
  await delay(GC_MS);
  const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
  const heapBytes = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1]);
  return { rss: rssMiB(service.pid), heap: heapBytes / 2 ** 20 };
}

/** Scenario 4: memory after 100 k ValidateToken calls and again after 1 M, on the embedded store. */
export async function memoryScenario(ctx: Context): Promise<Section> {
  // Quick runs too start at 100 k: before that the heap is still growing to its working size.
  const first = 100_000;
  const total = ctx.quick ? 300_000 : 1_000_000;
  const service = await startService({ ...ctx, serviceNodeArgs: [...ctx.serviceNodeArgs, '--expose-gc', '--import', GC_PRELOAD] });
  try {
    const tokens = await seedGrpc(service.grpcAddress, 4, 16);
    const calls = (count: number) => withCpu(service.pid, () => validateLoad(ctx, service.grpcAddress, tokens, { total: count }));

    await calls(first);
    const atFirst = await memoryAfterGc(service);
    let last = await calls(Math.min(CHUNK, total - first));
    for (let done = first + CHUNK; done < total; done += CHUNK) last = await calls(Math.min(CHUNK, total - done));
    const atTotal = await memoryAfterGc(service);

    const growth = atTotal.rss / atFirst.rss - 1;
    const count = (n: number) => (n >= 1e6 ? `${n / 1e6} M` : `${n / 1e3} k`);
    return {
      title: `Memory: RSS after ${count(first)} and ${count(total)} ValidateToken calls (embedded store)`,
      rows: [row(`ValidateToken, last ${count(CHUNK)} calls`, last, { peakRssMiB: peakRssMiB(service.pid) })],
      checks: [
        {
          target: `RSS after ${count(total)} within ${GROWTH_LIMIT * 100} % of RSS after ${count(first)}`,
          measured: `${atFirst.rss.toFixed(1)} → ${atTotal.rss.toFixed(1)} MiB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %)`,
          met: Math.abs(growth) <= GROWTH_LIMIT,
        },
      ],
      notes: [
        `${validateClient(ctx)}; RSS read after a full GC (node --expose-gc, SIGUSR2)`,
        `V8 heap in use after that GC: ${atFirst.heap.toFixed(1)} → ${atTotal.heap.toFixed(1)} MiB`,
      ],
    };
  } finally {
    await service.stop();
  }
}
