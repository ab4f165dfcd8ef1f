import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/net.js';
import type { Context } from './context.js';
import { waitServing } from './health.js';
import { track } from './procs.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
/** The node flags of the image's CMD (Dockerfile). */
const NODE_FLAGS = ['--max-semi-space-size=16'];

export interface Service {
  pid: number;
  grpcAddress: string;
  httpUrl: string;
  /** From spawn to the first SERVING health answer. */
  startMs: number;
  stop(): Promise<void>;
}

/**
 * Starts the built service (dist/main.js) as the image runs it, apart from the store:
 * embedded unless `mongo` is given. Ready when health says SERVING, which works at any LOG_LEVEL.
 * ctx.serviceNodeArgs go to node itself (--cpu-prof, when asked); `env` adds configuration.
 */
export async function startService(
  ctx: Pick<Context, 'bcryptCost' | 'serviceNodeArgs'>,
  mongo?: { uri: string; dbName: string },
  env: Record<string, string> = {},
): Promise<Service> {
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, ...ctx.serviceNodeArgs, MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      HTTP_PORT: String(httpPort),
      BCRYPT_COST: String(ctx.bcryptCost),
      LOG_LEVEL: 'warn',
      // The bench seeds every user from 127.0.0.1.
      SIGNUP_MAX_PER_WINDOW: '1000000',
      ...(mongo ? { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName } : {}),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = track(child);
  const { pid } = child;
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  try {
    await Promise.race([
      waitServing(grpcAddress, 20_000),
      once(child, 'exit').then(([code]) => Promise.reject(new Error(`service exited with ${String(code)} during start`))),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  if (pid === undefined) throw new Error('the service did not start');
  return { pid, grpcAddress, httpUrl: `http://127.0.0.1:${httpPort}`, startMs: performance.now() - started, stop };
}
