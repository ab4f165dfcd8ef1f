import { startMongo } from '../test/support/mongo.js';
import { startGrpcBaseline } from './baselines.js';
import type { Context } from './context.js';
import { seedGrpc } from './fixtures.js';
import { ghz, type GhzRun } from './ghz.js';
import { bestOf } from './load.js';
import { peakRssMiB, resetPeakRss } from './procs.js';
import { row, type Section } from './report.js';
import { startService } from './service.js';

export const VALIDATE_CONCURRENCY = 50;
const TARGETS = { embedded: 0.8, FerretDB: 0.35 };
const P99_LIMIT_MS = 5;

/**
 * Scenario 1: ValidateToken at full speed and at half of it, against the empty grpc-js handler
 * measured in the same section. 64 valid tokens of 4 users are validated round-robin.
 */
export async function validateScenario(ctx: Context, store: 'embedded' | 'FerretDB'): Promise<Section> {
  const mongo = store === 'FerretDB' ? await startMongo() : undefined;
  const baseline = await startGrpcBaseline();
  const service = await startService(ctx.bcryptCost, mongo);
  try {
    const data = (await seedGrpc(service.grpcAddress, 4, 16)).map((token) => ({ access_token: token }));
    const run = (address: string, options: Partial<GhzRun> = {}) =>
      ghz(ctx.ghz, { address, method: 'ValidateToken', data, concurrency: VALIDATE_CONCURRENCY, seconds: ctx.seconds, ...options });

    await run(service.grpcAddress, { seconds: ctx.warmupSeconds });
    await run(baseline.address, { seconds: ctx.warmupSeconds });
    resetPeakRss(service.pid);
    resetPeakRss(baseline.pid);
    const [ours, theirs] = await bestOf(ctx.rounds, [() => run(service.grpcAddress), () => run(baseline.address)]);
    const ourPeak = peakRssMiB(service.pid);
    const theirPeak = peakRssMiB(baseline.pid);
    const ourHalf = await run(service.grpcAddress, { rps: ours!.rps / 2 });
    const theirHalf = await run(baseline.address, { rps: theirs!.rps / 2 });

    const ratio = ours!.rps / theirs!.rps;
    return {
      title: `ValidateToken, ${store} store, vs an empty grpc-js handler`,
      rows: [
        row('empty grpc-js handler, max', theirs!, { peakRssMiB: theirPeak }),
        row(`ValidateToken (${store}), max`, ours!, { peakRssMiB: ourPeak, ratio }),
        row(`empty handler at ${Math.round(theirs!.rps / 2)} req/s`, theirHalf),
        row(`ValidateToken at ${Math.round(ours!.rps / 2)} req/s (half max)`, ourHalf),
      ],
      checks: [
        { target: `throughput ≥ ${TARGETS[store]}× the empty handler`, measured: `${ratio.toFixed(2)}×`, met: ratio >= TARGETS[store] },
        { target: `p99 < ${P99_LIMIT_MS} ms at half the max rate`, measured: `${ourHalf.p99Ms.toFixed(2)} ms`, met: ourHalf.p99Ms < P99_LIMIT_MS },
      ],
      notes: [`ghz: ${VALIDATE_CONCURRENCY} concurrent calls on one connection, 64 valid tokens round-robin; max = best of ${ctx.rounds} alternating runs of ${ctx.seconds} s`],
    };
  } finally {
    await service.stop();
    await baseline.stop();
    await mongo?.stop();
  }
}
