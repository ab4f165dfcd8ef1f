import type { Context } from './context.js';
import { seedGrpc } from './fixtures.js';
import { bestOf } from './load.js';
import { withCpu } from './procs.js';
import { cpuPerRequestUs, row, type Section } from './report.js';
import { startService, type Service } from './service.js';
import { validateClient, validateLoad } from './validate-load.js';

const TARGET = 0.9;
/**
 * Twice the usual alternating rounds: the two services differ by one comparison per call, so the
 * ratio is all noise from the machine, and the 0.9 target is closer than other scenarios' ones.
 */
const ROUNDS_FACTOR = 2;
/** Any timeout longer than the run: what is measured is the check on every call, never a session ending. */
const IDLE_TIMEOUT_SECONDS = 3600;

/**
 * ValidateToken at full speed with TOKEN_IDLE_TIMEOUT on against off, two embedded services measured
 * alternately in the same run. Both record each token's last use (coalesced to one write a minute);
 * the timeout adds the check of it.
 */
export async function idleScenario(ctx: Context): Promise<Section> {
  const services: Service[] = [];
  try {
    const off = await startService(ctx);
    services.push(off);
    const on = await startService(ctx, undefined, { TOKEN_IDLE_TIMEOUT: String(IDLE_TIMEOUT_SECONDS) });
    services.push(on);
    const tokens = { off: await seedGrpc(off.grpcAddress, 4, 16), on: await seedGrpc(on.grpcAddress, 4, 16) };
    const run = (service: Service, serviceTokens: string[], seconds = ctx.seconds) =>
      withCpu(service.pid, () => validateLoad(ctx, service.grpcAddress, serviceTokens, { seconds }));
    await run(off, tokens.off, ctx.warmupSeconds);
    await run(on, tokens.on, ctx.warmupSeconds);
    const rounds = ctx.rounds * ROUNDS_FACTOR;
    const [withTimeout, without] = await bestOf(rounds, [() => run(on, tokens.on), () => run(off, tokens.off)]);
    const ratio = withTimeout.rps / without.rps;
    return {
      title: 'ValidateToken with the idle timeout on against off, embedded store',
      rows: [
        row('ValidateToken, TOKEN_IDLE_TIMEOUT=0 (off), max', without),
        row(`ValidateToken, TOKEN_IDLE_TIMEOUT=${IDLE_TIMEOUT_SECONDS}, max`, withTimeout, { ratio }),
      ],
      checks: [{ target: `throughput with the idle timeout ≥ ${TARGET}× without`, measured: `${ratio.toFixed(2)}×`, met: ratio >= TARGET }],
      notes: [
        `${validateClient(ctx)}; best of ${rounds} alternating runs of ${ctx.seconds} s`,
        `server CPU per call at max: ${cpuPerRequestUs(withTimeout)?.toFixed(0)} µs on, ${cpuPerRequestUs(without)?.toFixed(0)} µs off`,
      ],
    };
  } finally {
    for (const service of services) await service.stop();
  }
}
