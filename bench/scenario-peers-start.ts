import { setTimeout as delay } from 'node:timers/promises';
import type { Context } from './context.js';
import { startHydra, startKratos, withPeers } from './peers.js';
import { peakRssMiB } from './procs.js';
import type { Row, Section } from './report.js';
import { startService } from './service.js';

const TITLE = 'Start to ready and idle RSS vs Ory Kratos and Ory Hydra';
/** How long a started server is left alone before its RSS is read. */
const IDLE_MS = 1000;

/**
 * Each server started several times in turn (ours, Kratos, Hydra, ours...): the time from spawn to
 * ready (ours: gRPC health SERVING; theirs: 200 from /health/ready on the admin port, which they
 * answer once their in-memory SQLite is migrated) and the peak RSS a second after.
 */
export const peersStartScenario = (ctx: Context): Promise<Section> =>
  withPeers(TITLE, async () => {
    const starts = ctx.quick ? 2 : 5;
    const starters = [
      async () => ({ name: 'ours (embedded store)', ...(await startService(ctx)) }),
      startKratos,
      startHydra,
    ];
    const times = starters.map(() => [] as number[]);
    const peaks = starters.map(() => [] as number[]);
    const names: string[] = [];
    for (let n = 0; n < starts; n++) {
      for (const [index, start] of starters.entries()) {
        const server = await start();
        try {
          await delay(IDLE_MS);
          names[index] = server.name;
          times[index]?.push(server.startMs);
          peaks[index]?.push(peakRssMiB(server.pid));
        } finally {
          await server.stop();
        }
      }
    }
    const rows: Row[] = names.map((name, index) => {
      const sorted = (times[index] ?? []).sort((a, b) => a - b);
      return {
        subject: `${name}, median and slowest of ${starts}`,
        p50Ms: sorted[Math.floor(sorted.length / 2)],
        p99Ms: sorted.at(-1),
        peakRssMiB: Math.max(...(peaks[index] ?? [])),
      };
    });
    return {
      title: TITLE,
      rows,
      checks: [],
      notes: [
        `p50 column = median start, p99 column = slowest, polled every 2 ms; peak RSS ${IDLE_MS / 1000} s after ready, idle, the largest of the starts`,
        'ours: node dist/main.js to gRPC health SERVING; Kratos and Hydra: spawn to 200 from their readiness endpoint, after migrating their in-memory SQLite',
      ],
    };
  });
