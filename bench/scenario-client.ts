import type { Context } from './context.js';
import { seedGrpc } from './fixtures.js';
import { httpLoad, type HttpRun } from './http-load.js';
import { bestOf, type Load } from './load.js';
import { peakRssMiB, resetPeakRss, spawnReady, withCpu, type Child } from './procs.js';
import { row, type Section } from './report.js';
import { startService } from './service.js';

const TARGET = 0.8;
const CONNECTIONS = 50;
const CACHE_TTL_MS = 5000;
type Mode = 'none' | 'cache' | 'nocache';

/** bench/client-app.ts in its own process, protected as `mode` says. */
function startApp(mode: Mode, authAddress: string): Promise<Child> {
  return spawnReady(
    process.execPath,
    ['--import', 'tsx', new URL('./client-app.ts', import.meta.url).pathname],
    { AUTH: mode, AUTH_SERVICE_ADDRESS: authAddress, CACHE_TTL_MS: String(CACHE_TTL_MS) },
    (line) => line.msg === 'listening',
  );
}

const added = (load: Load, base: Load): string =>
  `+${(load.p50Ms - base.p50Ms).toFixed(2)} ms p50, +${(load.p99Ms - base.p99Ms).toFixed(2)} ms p99`;

/**
 * Scenario 6: what the client package costs a service. One small Fastify app, GET /orders with
 * a token, three ways: unprotected, behind fastifyAuth with the cache on, and with it off (a
 * ValidateToken call per request to the service, which runs beside it).
 */
export async function clientScenario(ctx: Context): Promise<Section> {
  const service = await startService(ctx);
  const apps: Child[] = [];
  try {
    const [token = ''] = await seedGrpc(service.grpcAddress, 1, 1);
    const modes: Mode[] = ['none', 'cache', 'nocache'];
    for (const mode of modes) apps.push(await startApp(mode, service.grpcAddress));
    const runOf = (app: Child, seconds: number): HttpRun => ({
      url: `http://127.0.0.1:${String(app.ready.port)}/orders`,
      method: 'GET',
      headers: { authorization: `Bearer ${token}` },
      connections: CONNECTIONS,
      seconds,
    });
    for (const app of apps) await httpLoad(runOf(app, ctx.warmupSeconds));
    const measure = (app: Child) => async () => {
      resetPeakRss(app.pid);
      const load = await withCpu(app.pid, () => httpLoad(runOf(app, ctx.seconds)));
      return { ...load, peakRssMiB: peakRssMiB(app.pid) };
    };
    const [none, cache, nocache] = await bestOf(ctx.rounds, apps.map(measure) as [() => Promise<Load>, () => Promise<Load>, () => Promise<Load>]);
    const ratio = cache.rps / none.rps;
    return {
      title: 'Client package: a Fastify app protected by fastifyAuth',
      rows: [
        row('Fastify GET /orders, no auth', none),
        row(`+ fastifyAuth, cache on (ttl ${CACHE_TTL_MS / 1000} s)`, cache, { ratio }),
        row('+ fastifyAuth, cache off (ValidateToken per request)', nocache, { ratio: nocache.rps / none.rps }),
      ],
      checks: [{ target: `cache on ≥ ${TARGET}× no auth`, measured: `${ratio.toFixed(2)}×`, met: ratio >= TARGET }],
      notes: [
        `added latency, cache on: ${added(cache, none)}; cache off: ${added(nocache, none)}`,
        `autocannon (latencies in whole ms), ${CONNECTIONS} keep-alive connections, one token; best of ${ctx.rounds} alternating runs of ${ctx.seconds} s; CPU and RSS are the app's; with the cache off the service (embedded store) shares the machine`,
      ],
    };
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await service.stop();
  }
}
