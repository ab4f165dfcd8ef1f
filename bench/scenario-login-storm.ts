import { setTimeout as delay } from 'node:timers/promises';
import { connect } from '../test/support/grpc-client.js';
import { bcryptBaseline, startGrpcBaseline } from './baselines.js';
import type { Context } from './context.js';
import { PASSWORD } from './fixtures.js';
import { ghzReport } from './ghz.js';
import { cpuSeconds } from './procs.js';
import type { Section } from './report.js';
import { startService } from './service.js';

const STORM_CALLS = 1000;
const STORM_DEADLINE_MS = 1000;
const REAL_CALLS = 20;
const REAL_DEADLINE_MS = 3000;
/** Logins per storm account and storm: under LOGIN_MAX_FAILURES, so that the lock (counted before checks) never refuses them. */
const LOGINS_PER_ACCOUNT = 4;
const STORM_ACCOUNTS = STORM_CALLS / LOGINS_PER_ACCOUNT;
const GOODPUT_TARGET = 0.8;
const REAL_SUCCESS_TARGET = 0.9;
/** "Idle": the service's CPU in the second after the storm, in % of one core. */
const IDLE_CPU_PERCENT = 10;

const stormEmail = (n: number): string => `storm${n}@example.com`;
const realEmail = (n: number): string => `real${n}@example.com`;

/**
 * Scenario "login storm": 1000 Logins at once with 1 s deadlines, and 20 real Logins with 3 s
 * deadlines sent during it. Goodput, the Logins answered OK in time within the storm's second, is
 * set against what bcrypt alone does in a second. The real Logins answered in that second count:
 * they use the same threads (the first are sent as ghz starts, and hashed before its calls arrive
 * tens of ms later), so counting only the storm's would charge the service for serving them. After
 * the storm the CPU must go idle at once, not keep hashing for callers that have gone. ghz sends the storm:
 * the load generator shares the two cores, and grpc-js would take a third of their second to send it.
 * The storm is sent twice: the first, on a process that has not yet served a Login, is reported
 * apart (its refusals cost about twice as much CPU while V8 compiles their path); the second is the
 * one measured, warm as every other scenario and as the bcrypt baseline.
 */
export async function loginStormScenario(ctx: Context): Promise<Section> {
  const floor = await refusalFloor(ctx);
  const service = await startService(ctx);
  const client = connect(service.grpcAddress);
  try {
    for (let n = 0; n < STORM_ACCOUNTS; n += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, STORM_ACCOUNTS - n) }, (_, i) => client.createUser({ email: stormEmail(n + i), username: '', password: PASSWORD, realm: '' })),
      );
    }
    for (let n = 0; n < REAL_CALLS; n++) await client.createUser({ email: realEmail(n), username: '', password: PASSWORD, realm: '' });
    const bcrypt = await bcryptBaseline(ctx);

    const login = (email: string, deadlineMs: number) =>
      client.login({ email, username: '', password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: false }, { deadlineMs });
    const sendStorm = () => storm(ctx, service.grpcAddress);
    // Measured warm, as every other scenario is: a first storm on the cold process, reported apart.
    const coldReport = await sendStorm();
    await delay(STORM_DEADLINE_MS);
    const stormStarted = Date.now();
    const measured = sendStorm();
    // Each real Login's answer time after the storm was started, for those answered OK.
    const real = Promise.allSettled(
      Array.from({ length: REAL_CALLS }, async (_, i) => {
        await delay((i * STORM_DEADLINE_MS) / REAL_CALLS);
        await login(realEmail(i), REAL_DEADLINE_MS);
        return Date.now() - stormStarted;
      }),
    );
    const stormReport = await measured;
    const stormEnded = Date.now();
    const realResults = await real;
    // The second after the storm's deadline: nothing should be left to hash.
    await delay(Math.max(0, stormStarted + STORM_DEADLINE_MS + 1000 - Date.now()));
    const cpuBefore = cpuSeconds(service.pid);
    await delay(1000);
    const idleCpu = 100 * (cpuSeconds(service.pid) - cpuBefore);

    const codes = Object.entries(stormReport.statusCodeDistribution ?? {});
    const stormOk = stormReport.statusCodeDistribution?.OK ?? 0;
    const realOkInStorm = realResults.filter((r) => r.status === 'fulfilled' && r.value <= STORM_DEADLINE_MS).length;
    const goodput = stormOk + realOkInStorm;
    const coldGoodput = coldReport.statusCodeDistribution?.OK ?? 0;
    const bcryptInDeadline = (bcrypt.rps * STORM_DEADLINE_MS) / 1000;
    const realOk = realResults.filter((r) => r.status === 'fulfilled').length;
    return {
      title: `Login storm: ${STORM_CALLS} Logins at once with ${STORM_DEADLINE_MS} ms deadlines (cost ${ctx.bcryptCost}, ${ctx.cpus} cores)`,
      rows: [
        { subject: `bcrypt.compare alone, ${ctx.cpus} threads`, rps: bcrypt.rps },
        { subject: `Logins answered OK in time within the storm's ${STORM_DEADLINE_MS} ms (the storm's and the real ones)`, rps: goodput, ratio: goodput / bcryptInDeadline },
        { subject: "… of them the storm's", rps: stormOk, ratio: stormOk / bcryptInDeadline },
        { subject: 'the same in the first storm, on the cold process (no real Logins during it)', rps: coldGoodput, ratio: coldGoodput / bcryptInDeadline },
        { subject: 'grpc-js alone refusing every storm call at once: CPU for the storm (% of one core)', cpuPercent: 100 * floor.warm },
        { subject: 'the same, first storm on its cold process', cpuPercent: 100 * floor.cold },
        { subject: `real Logins (${REAL_DEADLINE_MS} ms deadline) succeeded, of ${REAL_CALLS}`, rps: realOk },
        { subject: 'service CPU in the second after the storm (% of one core)', cpuPercent: idleCpu },
      ],
      checks: [
        {
          target: `storm goodput ≥ ${GOODPUT_TARGET}× what bcrypt alone does in ${STORM_DEADLINE_MS} ms`,
          measured: `${goodput} (${stormOk} + ${realOkInStorm} real) vs ${bcryptInDeadline.toFixed(1)} (${(goodput / bcryptInDeadline).toFixed(2)}×)`,
          met: goodput >= GOODPUT_TARGET * bcryptInDeadline,
        },
        { target: `CPU idle within 1 s after the storm (< ${IDLE_CPU_PERCENT} % of a core)`, measured: `${idleCpu.toFixed(0)} %`, met: idleCpu < IDLE_CPU_PERCENT },
        {
          target: `≥ ${REAL_SUCCESS_TARGET * 100} % of real Logins with a ${REAL_DEADLINE_MS} ms deadline succeed`,
          measured: `${realOk} of ${REAL_CALLS}`,
          met: realOk >= REAL_SUCCESS_TARGET * REAL_CALLS,
        },
      ],
      notes: [
        `storm answers: ${codes.map(([code, count]) => `${code} ${count}`).join(', ')}; ghz ended ${stormEnded - stormStarted} ms after it was started`,
        `the floor leaves the hashing threads ${(ctx.cpus - floor.warm).toFixed(2)} of the ${ctx.cpus} cores' second: at most ${((ctx.cpus - floor.warm) / ctx.cpus).toFixed(2)}× if nothing else ran, not even ghz (the floor: the service's Login decoded and refused with the status it sheds with, by a grpc-js server with its options and nothing else, baselines/grpc-empty.mjs)`,
        `${STORM_ACCOUNTS} storm accounts with ${LOGINS_PER_ACCOUNT} Logins each, so that no account's lock refuses them; the storm from ghz (${STORM_CALLS} workers, one connection), the real Logins from a grpc-js client in the bench process`,
      ],
    };
  } finally {
    client.close();
    await service.stop();
  }
}

/** The storm as ghz sends it: each worker one call; a call answered OK was answered within its deadline. */
function storm(ctx: Context, address: string) {
  return ghzReport(ctx.ghz, {
    address,
    method: 'Login',
    data: Array.from({ length: STORM_ACCOUNTS }, (_, i) => ({ email: stormEmail(i), password: PASSWORD })),
    concurrency: STORM_CALLS,
    total: STORM_CALLS,
    timeoutMs: STORM_DEADLINE_MS,
  });
}

/** CPU seconds a grpc-js server that refuses every Login at once spends on a storm: cold, then warm. */
async function refusalFloor(ctx: Context): Promise<{ cold: number; warm: number }> {
  const baseline = await startGrpcBaseline();
  try {
    const measure = async () => {
      const before = cpuSeconds(baseline.pid);
      await storm(ctx, baseline.address);
      return cpuSeconds(baseline.pid) - before;
    };
    const cold = await measure();
    await delay(STORM_DEADLINE_MS);
    return { cold, warm: await measure() };
  } finally {
    await baseline.stop();
  }
}
