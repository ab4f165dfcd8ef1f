import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Hashes and checks passwords with bcrypt on worker threads, one per core, each at a lower CPU
 * priority than the event loop: logins use every idle cycle, yet never delay token validation.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** Spends the time of a verify against a hash no password matches, for unknown users. */
  verifyNothing(password: string): Promise<false>;
}

interface HashJob {
  password: string;
  /** Compare against this hash; absent: make a new hash at `cost`. */
  hash?: string;
  cost: number;
}

interface Pending {
  job: HashJob;
  resolve: (result: string | boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * A hashing thread, as source (a file of its own would need a loader when tests run the .ts). It
 * sets its own nice value to 10: on Linux the nice value is per thread and /proc/thread-self names
 * this one, so the event loop gets the CPU back as soon as it has work. Elsewhere: default priority.
 */
const WORKER_SOURCE = `
const bcrypt = require(${JSON.stringify(createRequire(import.meta.url).resolve('bcrypt'))});
const { parentPort } = require('node:worker_threads');
try {
  require('node:os').setPriority(Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()), 10);
} catch {}
parentPort.on('message', ({ password, hash, cost }) => {
  parentPort.postMessage(hash === undefined ? bcrypt.hashSync(password, cost) : bcrypt.compareSync(password, hash));
});
`;

/** A fixed number of hashing threads; jobs wait in order for a free one. */
class HashPool {
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<Worker, Pending>();

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  run(job: HashJob): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (result: string | boolean) => {
      const pending = this.release(worker);
      this.idle.push(worker);
      pending?.resolve(result);
      this.dispatch();
    });
    // A thread that dies fails its job and is replaced.
    worker.on('error', (err) => {
      this.release(worker)?.reject(err);
      this.idle.push(this.spawn());
      this.dispatch();
    });
    worker.unref(); // after the listeners, which ref it: an idle thread never keeps the process alive
    return worker;
  }

  private release(worker: Worker): Pending | undefined {
    const pending = this.running.get(worker);
    this.running.delete(worker);
    worker.unref();
    return pending;
  }

  private dispatch(): void {
    for (;;) {
      const worker = this.idle.pop();
      if (!worker) return;
      const pending = this.queue.shift();
      if (!pending) {
        this.idle.push(worker);
        return;
      }
      this.running.set(worker, pending);
      worker.ref(); // a job in flight keeps the process alive until it answers
      worker.postMessage(pending.job);
    }
  }
}

export async function createBcryptHasher(cost: number, threads = availableParallelism()): Promise<PasswordHasher> {
  const pool = new HashPool(threads);
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
  };
}
