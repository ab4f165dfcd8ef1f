import { startMongo } from '../test/support/mongo.js';
import { startGrpcBaseline } from './baselines.js';
import type { Context } from './context.js';
import { seedGrpc } from './fixtures.js';
import { bestOf, steadier } from './load.js';
import { peakRssMiB, resetPeakRss, withCpu } from './procs.js';
import { cpuPerRequestUs, row, type Section } from './report.js';
import { startService } from './service.js';
import { validateClient, validateLoad, type ValidateRun } from './validate-load.js';

const TARGETS = { embedded: 0.8, FerretDB: 0.35 };
const P99_LIMIT_MS = 5;

/**
 * Scenario 1: ValidateToken at full speed and at half of it, against the empty grpc-js handler
 * measured in the same section.
 */
export async function validateScenario(ctx: Context, store: 'embedded' | 'FerretDB'): Promise<Section> {
  const mongo = store === 'FerretDB' ? await startMongo() : undefined;
  const baseline = await startGrpcBaseline();
  const service = await startService(ctx, mongo);
  try {
    const tokens = await seedGrpc(service.grpcAddress, 4, 16);
    const ourServer = { pid: service.pid, address: service.grpcAddress };
    const run = (target: { pid: number; address: string }, options: ValidateRun = {}) =>
      withCpu(target.pid, () => validateLoad(ctx, target.address, tokens, { seconds: ctx.seconds, ...options }));

    await run(ourServer, { seconds: ctx.warmupSeconds });
    await run(baseline, { seconds: ctx.warmupSeconds });
    resetPeakRss(service.pid);
    resetPeakRss(baseline.pid);
    const [ours, theirs] = await bestOf(ctx.rounds, [() => run(ourServer), () => run(baseline)]);
    const ourPeak = peakRssMiB(service.pid);
    const theirPeak = peakRssMiB(baseline.pid);
    const [ourHalf, theirHalf] = await bestOf(
      ctx.rounds,
      [() => run(ourServer, { rps: ours.rps / 2 }), () => run(baseline, { rps: theirs.rps / 2 })],
      steadier,
    );

    const ratio = ours.rps / theirs.rps;
    return {
      title: `ValidateToken, ${store} store, vs an empty grpc-js handler`,
      rows: [
        row('empty grpc-js handler, max', theirs, { peakRssMiB: theirPeak }),
        row(`ValidateToken (${store}), max`, ours, { peakRssMiB: ourPeak, ratio }),
        row(`empty handler at ${Math.round(theirs.rps / 2)} req/s`, theirHalf),
        row(`ValidateToken at ${Math.round(ours.rps / 2)} req/s (half max)`, ourHalf),
      ],
      checks: [
        { target: `throughput ≥ ${TARGETS[store]}× the empty handler`, measured: `${ratio.toFixed(2)}×`, met: ratio >= TARGETS[store] },
        { target: `p99 < ${P99_LIMIT_MS} ms at half the max rate`, measured: `${ourHalf.p99Ms.toFixed(2)} ms`, met: ourHalf.p99Ms < P99_LIMIT_MS },
      ],
      notes: [
        `${validateClient(ctx)}; best of ${ctx.rounds} alternating runs of ${ctx.seconds} s (max: highest rate; fixed rate: lowest p99)`,
        `server CPU per call at max: ${cpuPerRequestUs(ours)?.toFixed(0)} µs ours, ${cpuPerRequestUs(theirs)?.toFixed(0)} µs the empty handler; ` +
          'a server below 100 % CPU at max was held back by the client or by other work',
      ],
    };
  } finally {
    await service.stop();
    await baseline.stop();
    await mongo?.stop();
  }
}
