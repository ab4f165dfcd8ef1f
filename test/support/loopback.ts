/**
 * LoopBack 3, installed apart from the service in `bench/loopback/` (its own package.json and lock):
 * the bench's reference server and the tests' LoopBack clients. Never a dependency of the service.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const LOOPBACK_DIR = fileURLToPath(new URL('../../bench/loopback/', import.meta.url));

/**
 * `npm ci` from its lock on first use: the npm registry, or npm's cache when offline. npm writes
 * `node_modules/.package-lock.json` last, so an interrupted install is redone.
 */
export function installLoopBack(): void {
  if (existsSync(`${LOOPBACK_DIR}node_modules/.package-lock.json`)) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: LOOPBACK_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** `require` as LoopBack's own folder sees it, so that its packages (not the service's) are found. */
export function requireFromLoopBack(id: string): unknown {
  installLoopBack();
  return createRequire(`${LOOPBACK_DIR}package.json`)(id);
}
