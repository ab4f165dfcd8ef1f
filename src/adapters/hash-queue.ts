import { cancelled, isGone, type CallOptions } from '../core/call.js';
import { AuthError, ErrorCode } from '../core/errors.js';

export interface HashQueueOptions {
  /** Jobs run at once (the pool's threads). */
  concurrency: number;
  /** Jobs waiting at most; beyond, new ones are refused at once. */
  maxQueued: number;
  /** A first guess of one job's duration, until measured. */
  initialJobMs: number;
  now?: () => number;
}

interface Waiting<T> {
  run: () => Promise<T>;
  call: CallOptions;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
  /** Drops the job while it waits: its caller left or its deadline passed. */
  drop: () => void;
  deadlineTimer: NodeJS.Timeout | undefined;
}

/** Weight of the newest duration in the running average. */
const SMOOTHING = 0.2;

/**
 * Admission in front of the hashing pool: shedding instead of queueing. A job is refused at once
 * (SERVICE_OVERLOADED, with how long to wait) when the queue is full or when, at the measured pace,
 * it could not start before its caller's deadline; a waiting job whose caller leaves is dropped
 * (CANCELLED) and never hashed. So a storm costs only the hashes someone will receive.
 */
export class HashQueue<T> {
  private readonly waiting: Waiting<T>[] = [];
  private running = 0;
  private averageJobMs: number;
  private readonly now: () => number;

  constructor(private readonly options: HashQueueOptions) {
    this.averageJobMs = options.initialJobMs;
    this.now = options.now ?? (() => Date.now());
  }

  /** How long a job submitted now would wait before it starts, at the measured pace. */
  expectedWaitMs(): number {
    if (this.running < this.options.concurrency && this.waiting.length === 0) return 0;
    return Math.ceil(((this.waiting.length + 1) * this.averageJobMs) / this.options.concurrency);
  }

  submit(run: () => Promise<T>, call: CallOptions = {}): Promise<T> {
    if (isGone(call, this.now())) return Promise.reject(cancelled());
    const waitMs = this.expectedWaitMs();
    const late = call.deadline !== undefined && waitMs > 0 && this.now() + waitMs + this.averageJobMs > call.deadline;
    if (this.waiting.length >= this.options.maxQueued || late) {
      return Promise.reject(
        new AuthError(ErrorCode.SERVICE_OVERLOADED, 'too many password checks in progress, try again later', {
          retryAfterMs: Math.max(waitMs, this.averageJobMs),
        }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const job: Waiting<T> = {
        run,
        call,
        resolve,
        reject,
        drop: () => {
          const index = this.waiting.indexOf(job);
          if (index < 0) return;
          this.waiting.splice(index, 1);
          this.release(job);
          reject(cancelled());
        },
        deadlineTimer: undefined,
      };
      this.waiting.push(job);
      this.pump();
      // Still waiting: watch for its caller leaving. Only waiting jobs pay for a timer.
      if (this.waiting.includes(job)) {
        call.signal?.addEventListener('abort', job.drop, { once: true });
        if (call.deadline !== undefined) job.deadlineTimer = setTimeout(job.drop, Math.max(0, call.deadline - this.now()));
      }
    });
  }

  private release(job: Waiting<T>): void {
    job.call.signal?.removeEventListener('abort', job.drop);
    clearTimeout(job.deadlineTimer);
  }

  private pump(): void {
    while (this.running < this.options.concurrency) {
      const job = this.waiting.shift();
      if (!job) return;
      this.release(job);
      if (isGone(job.call, this.now())) {
        job.reject(cancelled());
        continue;
      }
      this.running++;
      const started = this.now();
      job.run().then(
        (value) => {
          this.averageJobMs += SMOOTHING * (this.now() - started - this.averageJobMs);
          job.resolve(value);
        },
        job.reject,
      ).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }
}
