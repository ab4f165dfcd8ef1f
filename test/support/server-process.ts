import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from './net.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface ServerProcess {
  grpcAddress: string;
  grpcPort: number;
  httpPort: number;
  httpUrl: string;
  child: ChildProcess;
  /** Every line the process wrote to stdout and stderr so far. */
  output: string[];
  /** Parsed JSON log lines of stdout. */
  logs(): Array<Record<string, unknown>>;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the built server (`dist/main.js`, made by `npm run build`) as a real process on free
 * ports, and resolves once it logs that it started. Uses the embedded store unless `MONGODB_URI` is given.
 */
export async function startServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  // A port free a moment ago may be taken before the server binds it (another process, or an
  // outgoing connection's source port): ports picked here are picked again, a few times.
  const picksPorts = env.GRPC_PORT === undefined && env.HTTP_PORT === undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(env);
    } catch (err) {
      if (!picksPorts || attempt === PORT_ATTEMPTS || !(err instanceof Error && err.message.includes('EADDRINUSE'))) throw err;
    }
  }
}

const PORT_ATTEMPTS = 3;

async function startServerOnce(env: Record<string, string>): Promise<ServerProcess> {
  const grpcPort = Number(env.GRPC_PORT ?? (await freePort()));
  const httpPort = Number(env.HTTP_PORT ?? (await freePort()));
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      BCRYPT_COST: '4',
      LOG_LEVEL: 'info',
      // Every test signs up from 127.0.0.1: the sign-up limit is out of reach unless a test sets
      // it (test/e2e/identity.test.ts does).
      SIGNUP_MAX_PER_WINDOW: '1000000',
      ...env,
      GRPC_PORT: String(grpcPort),
      HTTP_PORT: String(httpPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      for (const wake of waiters) wake();
    });
  }
  // 'close' comes after stdout and stderr are drained, so a failed start shows its last words.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  process.once('exit', () => child.kill('SIGKILL'));

  const logs = () =>
    output.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });

  const waitForLog: ServerProcess['waitForLog'] = (predicate, timeoutMs = 15000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = logs().find(predicate);
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for a log line; output:\n${output.slice(-20).join('\n')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(wake);
      };
      const wake = () => void check();
      if (check()) return;
      waiters.add(wake);
      void exited.then(() => {
        if (waiters.has(wake)) {
          cleanup();
          reject(new Error(`server exited before the log line; output:\n${output.slice(-20).join('\n')}`));
        }
      });
    });

  await waitForLog((line) => line.msg === 'auth-service started');
  return {
    grpcAddress: `127.0.0.1:${grpcPort}`,
    grpcPort,
    httpPort,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    child,
    output,
    logs,
    waitForLog,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
