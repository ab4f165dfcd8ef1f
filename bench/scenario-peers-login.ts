import type { Context } from './context.js';
import { email, PASSWORD, postJson } from './fixtures.js';
import { flowLoad, type FlowRun } from './flow-load.js';
import { bestOf } from './load.js';
import { kratosLogin, seedKratosIdentities, startKratos, withPeers } from './peers.js';
import { peakRssMiB, resetPeakRss, withCpu } from './procs.js';
import { row, type Section } from './report.js';
import { startService } from './service.js';

const TITLE = 'Password login vs Ory Kratos';
const TARGET = 1.1;
/** Logins rotate over this many users on both sides. */
const USERS = 4;
/**
 * Kratos on its in-memory SQLite answers a few concurrent logins with 500 "Unable to serialize
 * access due to a concurrent update in another session": its own behaviour, reported, not retried.
 */
const KRATOS_TOLERATED_FAILURES = 0.1;

/** The gist of a failed Kratos call: its JSON error's status and reason where it has them. */
const reason = (error = ''): string => {
  const match = /: (\d{3}) .*"reason":"([^"]*)"/.exec(error);
  return match ? `${match[1]} "${match[2]}"` : error;
};

/**
 * Password login at the same bcrypt cost, alternating: Kratos's native API login flow (create the
 * flow, submit it: two calls) against our POST /api/users/login, by the same closed-loop client.
 */
export const peersLoginScenario = (ctx: Context): Promise<Section> =>
  withPeers(TITLE, async () => {
    const service = await startService(ctx);
    try {
      const kratos = await startKratos();
      try {
        await seedKratosIdentities(kratos, USERS, ctx.bcryptCost);
        for (let n = 0; n < USERS; n++) await postJson(`${service.httpUrl}/api/users`, { email: email(n), password: PASSWORD });

        // As many logins in flight as in the other login scenarios: enough to keep every core hashing.
        const concurrency = 2 * ctx.cpus;
        const theirs: FlowRun = {
          what: `${kratos.name} login flow`,
          flow: (worker) => kratosLogin(kratos, email(worker % USERS)),
          concurrency,
          seconds: ctx.seconds,
          toleratedFailures: KRATOS_TOLERATED_FAILURES,
        };
        const ours: FlowRun = {
          what: 'ours POST /api/users/login',
          flow: async (worker) => {
            const token = await postJson(`${service.httpUrl}/api/users/login`, { email: email(worker % USERS), password: PASSWORD });
            if (typeof token.id !== 'string') throw new Error(`login gave no token: ${JSON.stringify(token)}`);
          },
          concurrency,
          seconds: ctx.seconds,
        };
        const peaks = new Map<number, number>();
        const measure = (pid: number, run: FlowRun) => async () => {
          resetPeakRss(pid);
          const load = await withCpu(pid, () => flowLoad(run));
          peaks.set(pid, Math.max(peaks.get(pid) ?? 0, peakRssMiB(pid)));
          return load;
        };
        await flowLoad({ ...theirs, seconds: ctx.warmupSeconds });
        await flowLoad({ ...ours, seconds: ctx.warmupSeconds });
        const [kratosLoad, ourLoad] = await bestOf(ctx.rounds, [measure(kratos.pid, theirs), measure(service.pid, ours)]);
        const ratio = ourLoad.rps / kratosLoad.rps;
        return {
          title: `${TITLE} (bcrypt cost ${ctx.bcryptCost}, ${ctx.cpus} cores)`,
          rows: [
            row(`${kratos.name} GET /self-service/login/api + POST /self-service/login`, kratosLoad, { peakRssMiB: peaks.get(kratos.pid) }),
            row('ours POST /api/users/login', ourLoad, { peakRssMiB: peaks.get(service.pid), ratio }),
          ],
          checks: [{ target: `login ≥ ${TARGET}× ${kratos.name} at the same cost`, measured: `${ratio.toFixed(2)}×`, met: ratio >= TARGET }],
          notes: [
            `Node's fetch, ${concurrency} workers logging in back to back over ${USERS} users, a Kratos login (both of its calls) counting as one; best of ${ctx.rounds} alternating runs of ${ctx.seconds} s`,
            `Kratos on in-memory SQLite, password method, bcrypt cost ${ctx.bcryptCost} (checked on the hash it stored; Kratos allows a cost below 12 only with --dev); ours on the embedded store`,
            ...(kratosLoad.errors > 0
              ? [`Kratos failed ${kratosLoad.errors} of ${kratosLoad.ok + kratosLoad.errors} logins in the run kept (its req/s counts the others), e.g. ${reason(kratosLoad.firstError)}`]
              : []),
          ],
        };
      } finally {
        await kratos.stop();
      }
    } finally {
      await service.stop();
    }
  });
