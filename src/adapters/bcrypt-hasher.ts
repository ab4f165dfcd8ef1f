import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { PasswordHasher } from '../core/ports.js';
import type { HashJob } from './bcrypt-worker.js';

/** The worker module beside this one: .ts when the tests run the sources, .js once built. */
const WORKER = new URL(`./bcrypt-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export interface BcryptHasher extends PasswordHasher {
  /** Stops the threads; jobs still queued are rejected. */
  close(): Promise<void>;
}

/**
 * bcrypt on worker threads, one per core, each at nice 10: logins use every idle cycle, yet the
 * event loop gets the CPU back as soon as it has work, so they never delay token validation.
 */
export async function createBcryptHasher(cost: number, threads = availableParallelism()): Promise<BcryptHasher> {
  const pool = new Piscina<HashJob, string | boolean>({
    filename: WORKER.href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    niceIncrement: 10,
  });
  const hash = async (password: string) => String(await pool.run({ password, cost }));
  const verify = async (password: string, digest: string) => (await pool.run({ password, hash: digest, cost })) === true;
  // A real hash at the same cost, so that an unknown user costs what a wrong password costs.
  const dummyHash = await hash(`no user has this password ${Math.random()}`);
  return {
    hash,
    verify,
    verifyNothing: async (password) => {
      await verify(password, dummyHash);
      return false;
    },
    close: () => pool.destroy(),
  };
}
