import { availableParallelism } from 'node:os';
import bcrypt from 'bcrypt';
import { Piscina } from 'piscina';
import type { CallOptions } from '../core/call.js';
import type { PasswordHasher } from '../core/ports.js';
import type { HashJob } from './bcrypt-worker.js';
import { HashQueue } from './hash-queue.js';

/**
 * The prefix bcrypt writes today. `$2a$` (bcryptjs, LoopBack, older libraries), `$2y$` (PHP) and
 * `$2x$` hash the same way for the passwords accepted here, but are not what a new hash would be.
 */
const CURRENT_PREFIX = '$2b$';

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
    // getRounds reads the cost field; it throws only for a string that is no bcrypt hash, which no
    // password matches, so such a hash is never the subject of a rehash.
    needsRehash: (digest) => !digest.startsWith(CURRENT_PREFIX) || bcrypt.getRounds(digest) < cost,
    refusal: (call) => queue.refusal(call),
    close: () => pool.destroy(),
  };
}
