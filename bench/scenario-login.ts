import { setTimeout as delay } from 'node:timers/promises';
import { bcryptBaseline } from './baselines.js';
import type { Context } from './context.js';
import { email, PASSWORD, seedGrpc } from './fixtures.js';
import { ghz, type GhzRun } from './ghz.js';
import { bestOf, steadier } from './load.js';
import { peakRssMiB, resetPeakRss, withCpu } from './procs.js';
import { row, type Section } from './report.js';
import { startService } from './service.js';

const RATIO_TARGET = 0.9;
const STORM_P99_FACTOR = 3;
/** A steady ValidateToken rate that the service sustains with room to spare, storm or not. */
export const QUIET_VALIDATE_RPS = 1000;

/**
 * Scenario 2: Login at full speed against bcrypt.compare alone on every core, then ValidateToken
 * at a steady rate, first alone and then while logins saturate every core.
 */
export async function loginScenario(ctx: Context): Promise<Section> {
  const service = await startService(ctx);
  try {
    const tokens = await seedGrpc(service.grpcAddress, 4, 16);
    const validations = tokens.map((token) => ({ access_token: token }));
    const logins = [0, 1, 2, 3].map((n) => ({ email: email(n), password: PASSWORD }));
    // Twice as many logins in flight as cores, like the bcrypt baseline: every core stays busy.
    const loginRun = (options: Partial<GhzRun> = {}) =>
      withCpu(service.pid, () =>
        ghz(ctx.ghz, { address: service.grpcAddress, method: 'Login', data: logins, concurrency: 2 * ctx.cpus, seconds: ctx.seconds, ...options }),
      );
    const validateRun = () =>
      ghz(ctx.ghz, { address: service.grpcAddress, method: 'ValidateToken', data: validations, concurrency: 50, seconds: ctx.seconds, rps: QUIET_VALIDATE_RPS });

    await loginRun({ seconds: ctx.warmupSeconds });
    resetPeakRss(service.pid);
    const [bcrypt, login] = await bestOf(ctx.rounds, [() => bcryptBaseline(ctx), () => loginRun()]);
    const loginPeak = peakRssMiB(service.pid);

    const stormy = async () => {
      // The storm starts first and outlasts the measured validations on both sides.
      const storm = loginRun({ seconds: ctx.seconds + 2 * ctx.warmupSeconds });
      await delay(ctx.warmupSeconds * 1000);
      const validations = await validateRun();
      return { ...validations, logins: await storm };
    };
    const [quiet, storm] = await bestOf(ctx.rounds, [validateRun, stormy], steadier);

    const ratio = login.rps / bcrypt.rps;
    const factor = storm.p99Ms / quiet.p99Ms;
    return {
      title: `Login vs bcrypt.compare alone (cost ${ctx.bcryptCost}, ${ctx.cpus} cores)`,
      rows: [
        row(`bcrypt.compare alone, ${ctx.cpus} threads`, bcrypt),
        row('Login, max', login, { peakRssMiB: loginPeak, ratio }),
        row(`ValidateToken at ${QUIET_VALIDATE_RPS} req/s, quiet`, quiet),
        row(`ValidateToken at ${QUIET_VALIDATE_RPS} req/s, login storm`, storm),
        row('Login during that storm', storm.logins),
      ],
      checks: [
        { target: `Login throughput ≥ ${RATIO_TARGET}× bcrypt.compare alone`, measured: `${ratio.toFixed(2)}×`, met: ratio >= RATIO_TARGET },
        {
          target: `ValidateToken p99 in a login storm < ${STORM_P99_FACTOR}× quiet`,
          measured: `${storm.p99Ms.toFixed(2)} ms vs ${quiet.p99Ms.toFixed(2)} ms (${factor.toFixed(1)}×)`,
          met: factor < STORM_P99_FACTOR,
        },
      ],
      notes: [
        `the bcrypt baseline keeps ${2 * ctx.cpus} compares in flight on a libuv pool of ${ctx.cpus} threads; ghz keeps ${2 * ctx.cpus} Logins in flight; the service hashes on its own worker threads, one per core`,
        `best of ${ctx.rounds} alternating runs of ${ctx.seconds} s (Login: highest rate; ValidateToken: lowest p99)`,
      ],
    };
  } finally {
    await service.stop();
  }
}
