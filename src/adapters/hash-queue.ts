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
  /** The caller's deadline; Infinity when it gave none. */
  deadline: number;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
  /** Drops the job while it waits: its caller left or its deadline passed. */
  drop: () => void;
  deadlineTimer: NodeJS.Timeout | undefined;
}

/** Weight of the newest duration in the running average. */
const SMOOTHING = 0.2;

const overloaded = (retryAfterMs: number): AuthError =>
  new AuthError(ErrorCode.SERVICE_OVERLOADED, 'too many password checks in progress, try again later', { retryAfterMs: Math.ceil(retryAfterMs) });

/**
 * Admission and order in front of the hashing pool: shedding instead of queueing. Jobs wait in
 * deadline order (earliest first), so that a caller with time to spare yields to one without it
 * rather than both missing. A job is refused at once (SERVICE_OVERLOADED, with how long to wait)
 * when the queue is full, or when, at the measured pace, it or a waiting job that would still have
 * finished in time behind it would finish after its deadline. A waiting job whose caller leaves is
 * dropped (CANCELLED), and one whose turn comes too late to finish is shed: neither is hashed. So
 * a storm costs only the hashes someone will receive.
 */
export class HashQueue<T> {
  /** Sorted by deadline; among equal deadlines, by arrival. */
  private readonly waiting: Waiting<T>[] = [];
  /** When each running job started. */
  private readonly runningSince: number[] = [];
  private averageJobMs: number;
  private readonly now: () => number;

  constructor(private readonly options: HashQueueOptions) {
    this.averageJobMs = options.initialJobMs;
    this.now = options.now ?? (() => Date.now());
  }

  /**
   * Why a job for this call would be refused if submitted now, or undefined if it would be taken.
   * Cheap enough to ask before any other work for the call.
   */
  refusal(call: CallOptions = {}): AuthError | undefined {
    const now = this.now();
    if (isGone(call, now)) return cancelled();
    // A free thread takes any job: an idle server answers late rather than not at all.
    if (this.runningSince.length < this.options.concurrency) return undefined;
    const deadline = call.deadline ?? Number.POSITIVE_INFINITY;
    const finishAt = this.finishTimes(now);
    if (this.waiting.length < this.options.maxQueued && this.fitsAt(this.insertionIndex(deadline), deadline, finishAt)) return undefined;
    return overloaded(Math.max(this.averageJobMs, finishAt(this.waiting.length) - now));
  }

  submit(run: () => Promise<T>, call: CallOptions = {}): Promise<T> {
    const refused = this.refusal(call);
    if (refused) return Promise.reject(refused);
    return new Promise<T>((resolve, reject) => {
      if (this.runningSince.length < this.options.concurrency) {
        this.start(run, resolve, reject);
        return;
      }
      const job: Waiting<T> = {
        run,
        call,
        deadline: call.deadline ?? Number.POSITIVE_INFINITY,
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
      this.waiting.splice(this.insertionIndex(job.deadline), 0, job);
      // Watch for its caller leaving. Only waiting jobs pay for a timer.
      call.signal?.addEventListener('abort', job.drop, { once: true });
      if (call.deadline !== undefined) job.deadlineTimer = setTimeout(job.drop, Math.max(0, call.deadline - this.now()));
    });
  }

  /** Where a job with this deadline goes: after every job due no later. */
  private insertionIndex(deadline: number): number {
    let index = this.waiting.length;
    while (index > 0 && (this.waiting[index - 1]?.deadline ?? 0) > deadline) index--;
    return index;
  }

  /**
   * When the job at each place in line would finish, at the measured pace. Every job takes the same
   * time, so they go round the threads in the order the threads free up.
   */
  private finishTimes(now: number): (place: number) => number {
    const { concurrency } = this.options;
    const frees = Array.from({ length: concurrency }, (_, i) => {
      const since = this.runningSince[i];
      return since === undefined ? now : Math.max(now, since + this.averageJobMs);
    }).sort((x, y) => x - y);
    return (place) => (frees[place % concurrency] ?? now) + (Math.floor(place / concurrency) + 1) * this.averageJobMs;
  }

  /**
   * Whether a job due at `deadline`, put in line at `at`, would finish in time without making late
   * a waiting job behind it that would otherwise have finished in time: each of those moves one
   * place down the line.
   */
  private fitsAt(at: number, deadline: number, finishAt: (place: number) => number): boolean {
    if (finishAt(at) > deadline) return false;
    for (let i = at; i < this.waiting.length; i++) {
      const due = this.waiting[i]?.deadline ?? 0;
      if (finishAt(i) <= due && finishAt(i + 1) > due) return false;
    }
    return true;
  }

  private release(job: Waiting<T>): void {
    job.call.signal?.removeEventListener('abort', job.drop);
    clearTimeout(job.deadlineTimer);
  }

  /** Starts jobs while threads are free, shedding those whose callers left or could no longer be answered in time. */
  private pump(): void {
    while (this.runningSince.length < this.options.concurrency) {
      const job = this.waiting.shift();
      if (!job) return;
      this.release(job);
      const now = this.now();
      if (isGone(job.call, now)) job.reject(cancelled());
      else if (now + this.averageJobMs > job.deadline) job.reject(overloaded(this.averageJobMs));
      else this.start(job.run, job.resolve, job.reject);
    }
  }

  private start(run: () => Promise<T>, resolve: (value: T) => void, reject: (reason: unknown) => void): void {
    const started = this.now();
    this.runningSince.push(started);
    run().then(
      (value) => {
        this.averageJobMs += SMOOTHING * (this.now() - started - this.averageJobMs);
        resolve(value);
      },
      reject,
    ).finally(() => {
      this.runningSince.splice(this.runningSince.indexOf(started), 1);
      this.pump();
    });
  }
}
