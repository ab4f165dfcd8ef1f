import { startMongo } from '../test/support/mongo.js';
import { startGrpcBaseline } from './baselines.js';
import type { Context } from './context.js';
import { seedGrpc } from './fixtures.js';
import { bestOf, steadier } from './load.js';
import { peakRssMiB, resetPeakRss, withCpu } from './procs.js';
import { cpuPerRequestUs, row, type Section } from './report.js';
import { startService, type Service } from './service.js';
import { validateClient, validateLoad, type ValidateRun } from './validate-load.js';

const TARGETS = { embedded: 0.8, FerretDB: 0.35 };
const P99_LIMIT_MS = 5;
/** The staleness the cached FerretDB rows run with: revocations on other replicas within a second. */
const CACHE_TTL_MS = 1000;

interface Target {
  pid: number;
  address: string;
}

/** Max rate and p99 at half of it, for the service and the baseline alternately. */
async function measure(ctx: Context, service: Target, baseline: Target, tokens: string[], distinctTokens: boolean) {
  const run = (target: Target, options: ValidateRun = {}) =>
    withCpu(target.pid, () => validateLoad(ctx, target.address, tokens, { seconds: ctx.seconds, distinctTokens, ...options }));
  await run(service, { seconds: ctx.warmupSeconds });
  await run(baseline, { seconds: ctx.warmupSeconds });
  resetPeakRss(service.pid);
  resetPeakRss(baseline.pid);
  const [ours, theirs] = await bestOf(ctx.rounds, [() => run(service), () => run(baseline)]);
  const ourPeak = peakRssMiB(service.pid);
  const theirPeak = peakRssMiB(baseline.pid);
  const [ourHalf, theirHalf] = await bestOf(
    ctx.rounds,
    [() => run(service, { rps: ours.rps / 2 }), () => run(baseline, { rps: theirs.rps / 2 })],
    steadier,
  );
  return { ours, theirs, ourPeak, theirPeak, ourHalf, theirHalf, ratio: ours.rps / theirs.rps };
}

/**
 * Scenario 1: ValidateToken at full speed and at half of it, against the empty grpc-js handler
 * measured alternately in the same section. On FerretDB every call asks for another token (one
 * token would let concurrent lookups share one query), with the default configuration and again
 * with the token cache on.
 */
export async function validateScenario(ctx: Context, store: 'embedded' | 'FerretDB'): Promise<Section> {
  const mongo = store === 'FerretDB' ? await startMongo() : undefined;
  const distinctTokens = mongo !== undefined;
  const baseline = await startGrpcBaseline();
  const services: Service[] = [];
  try {
    const variants: { label: string; env: Record<string, string> }[] = [{ label: store, env: {} }];
    if (mongo) variants.push({ label: `${store}, TOKEN_CACHE_TTL_MS=${CACHE_TTL_MS}`, env: { TOKEN_CACHE_TTL_MS: String(CACHE_TTL_MS) } });
    const notes = [`${validateClient(ctx, distinctTokens)}; best of ${ctx.rounds} alternating runs of ${ctx.seconds} s (max: highest rate; fixed rate: lowest p99)`];
    const section: Section = { title: `ValidateToken, ${store} store, vs an empty grpc-js handler`, rows: [], checks: [], notes };
    for (const { label, env } of variants) {
      const service = await startService(ctx, mongo && { uri: mongo.uri, dbName: mongo.newDbName() }, env);
      services.push(service);
      const tokens = await seedGrpc(service.grpcAddress, 4, 16);
      const m = await measure(ctx, { pid: service.pid, address: service.grpcAddress }, baseline, tokens, distinctTokens);
      await service.stop();
      section.rows.push(
        row('empty grpc-js handler, max', m.theirs, { peakRssMiB: m.theirPeak }),
        row(`ValidateToken (${label}), max`, m.ours, { peakRssMiB: m.ourPeak, ratio: m.ratio }),
        row(`empty handler at ${Math.round(m.theirs.rps / 2)} req/s`, m.theirHalf),
        row(`ValidateToken (${label}) at ${Math.round(m.ours.rps / 2)} req/s (half max)`, m.ourHalf),
      );
      section.checks.push(
        { target: `throughput ≥ ${TARGETS[store]}× the empty handler (${label})`, measured: `${m.ratio.toFixed(2)}×`, met: m.ratio >= TARGETS[store] },
        { target: `p99 < ${P99_LIMIT_MS} ms at half the max rate (${label})`, measured: `${m.ourHalf.p99Ms.toFixed(2)} ms`, met: m.ourHalf.p99Ms < P99_LIMIT_MS },
      );
      notes.push(
        `${label}: server CPU per call at max ${cpuPerRequestUs(m.ours)?.toFixed(0)} µs ours, ${cpuPerRequestUs(m.theirs)?.toFixed(0)} µs the empty handler; ` +
          'a server below 100 % CPU at max was held back by the client or by other work',
      );
    }
    return section;
  } finally {
    for (const service of services) await service.stop();
    await baseline.stop();
    await mongo?.stop();
  }
}
