import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { CallOptions } from '../core/call.js';
import type { PasswordHasher } from '../core/ports.js';
import type { HashJob } from './bcrypt-worker.js';
import { HashQueue } from './hash-queue.js';

/** The worker module beside this one: .ts when the tests run the sources, .js once built. */
const WORKER = new URL(`./bcrypt-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export interface BcryptHasherOptions {
  cost: number;
  /** Password checks waiting at most; beyond, calls are shed (SERVICE_OVERLOADED). */
  maxQueued: number;
  threads?: number;
}

export interface BcryptHasher extends PasswordHasher {
  /** Stops the threads. */
  close(): Promise<void>;
}

/**
 * bcrypt on worker threads, one per core, each at nice 10: logins use every idle cycle, yet the
 * event loop gets the CPU back as soon as it has work, so they never delay token validation. Jobs
 * pass a HashQueue first, which sheds what could not be answered in time.
 */
export async function createBcryptHasher({ cost, maxQueued, threads = availableParallelism() }: BcryptHasherOptions): Promise<BcryptHasher> {
  const pool = new Piscina<HashJob, string | boolean>({
    filename: WORKER.href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    niceIncrement: 10,
  });
  const queue = new HashQueue<string | boolean>({ concurrency: threads, maxQueued, initialJobMs: 2 ** cost / 14 });
  const run = (job: HashJob, call?: CallOptions) => queue.submit(() => pool.run(job), call);
  const hash = async (password: string, call?: CallOptions) => String(await run({ password, cost }, call));
  const verify = async (password: string, digest: string, call?: CallOptions) => (await run({ password, hash: digest, cost }, call)) === true;
  // A real hash at the same cost, so that an unknown user costs what a wrong password costs.
  const dummyHash = await hash(`no user has this password ${Math.random()}`);
  return {
    hash,
    verify,
    verifyNothing: async (password, call) => {
      await verify(password, dummyHash, call);
      return false;
    },
    close: () => pool.destroy(),
  };
}
