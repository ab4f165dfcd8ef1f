import { execFileSync, spawn } from 'node:child_process';
import { hash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const LOOPBACK_DIR = fileURLToPath(new URL('../../bench/loopback/', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

/**
 * LoopBack 3 is no dependency of the service: bench/loopback has its own package.json and lock
 * file (the bench's reference server and the tests' LoopBack clients), installed there with `npm ci`
 * on first use and again whenever the lock file changes (from the registry, or npm's cache offline).
 */
export function installLoopBack(): void {
  const wanted = hash('sha256', readFileSync(`${LOOPBACK_DIR}package-lock.json`));
  const stamp = `${LOOPBACK_DIR}node_modules/.installed-lock-sha256`;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: LOOPBACK_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
  writeFileSync(stamp, wanted);
}

/** `require` as LoopBack's own folder sees it, so that its packages (not the service's) are found. */
export function requireFromLoopBack(id: string): unknown {
  installLoopBack();
  return createRequire(`${LOOPBACK_DIR}package.json`)(id);
}

export interface LoopBackApp {
  /** e.g. http://127.0.0.1:PORT; its REST API is under /api. */
  url: string;
  /** Which bcrypt LoopBack hashes with. */
  bcrypt: 'bcryptjs' | 'bcrypt';
  stop(): Promise<void>;
}

export interface LoopBackOptions {
  /** loopback-connector-mongodb's url, database included. */
  mongodbUrl: string;
  /** bcryptjs is what a LoopBack app gets unless it installs native bcrypt. */
  bcrypt?: 'bcryptjs' | 'bcrypt';
  allowEternalTokens?: boolean;
  /** Reset tokens scoped to `reset-password` (otherwise LoopBack makes them ordinary access tokens). */
  restrictResetPasswordTokenScope?: boolean;
}

/** The LoopBack 3 reference app (bench/loopback/server.cjs) on MongoDB, as a real process on a free port. */
export async function startLoopBack(options: LoopBackOptions): Promise<LoopBackApp> {
  installLoopBack();
  const child = spawn(process.execPath, [`${LOOPBACK_DIR}server.cjs`], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      BCRYPT_COST: '4',
      MONGODB_URL: options.mongodbUrl,
      LOOPBACK_BCRYPT: options.bcrypt ?? 'bcryptjs',
      ALLOW_ETERNAL_TOKENS: String(options.allowEternalTokens ?? false),
      RESTRICT_RESET_PASSWORD_TOKEN_SCOPE: String(options.restrictResetPasswordTokenScope ?? false),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const exited = once(child, 'exit');
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(kill, READY_TIMEOUT_MS);
  try {
    for await (const line of lines) {
      output.push(line);
      const ready = parseJson(line);
      if (ready?.msg !== 'loopback started') continue;
      return {
        url: `http://127.0.0.1:${String(ready.port)}`,
        bcrypt: ready.bcrypt === 'bcrypt' ? 'bcrypt' : 'bcryptjs',
        async stop() {
          process.removeListener('exit', kill);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    }
    throw new Error(`LoopBack exited before it started:\n${output.slice(-20).join('\n')}`);
  } finally {
    clearTimeout(timer);
  }
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
