import type { Context } from './context.js';
import { peakRssMiB } from './procs.js';
import type { Section } from './report.js';
import { startService } from './service.js';

const LIMIT_MS = 1000;

/** Scenario 5: from spawn to the first SERVING health answer, embedded store, several starts. */
export async function startScenario(ctx: Context): Promise<Section> {
  const starts = ctx.quick ? 2 : 5;
  const times: number[] = [];
  const peaks: number[] = [];
  for (let n = 0; n < starts; n++) {
    const service = await startService(ctx);
    times.push(service.startMs);
    peaks.push(peakRssMiB(service.pid));
    await service.stop();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? NaN;
  const slowest = times.at(-1) ?? NaN;
  return {
    title: 'Start to SERVING (embedded store)',
    rows: [{ subject: `median and slowest of ${starts} starts`, p50Ms: median, p99Ms: slowest, peakRssMiB: Math.max(...peaks) }],
    checks: [{ target: `start to SERVING < ${LIMIT_MS} ms`, measured: `slowest ${slowest.toFixed(0)} ms`, met: slowest < LIMIT_MS }],
    notes: ['time from spawning node dist/main.js to the first SERVING answer of grpc.health.v1, polled every 2 ms; p50 column = median, p99 column = slowest start'],
  };
}
