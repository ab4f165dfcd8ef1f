import { performance } from 'node:perf_hooks';
import { expectNoErrors, type Load } from './load.js';

export interface FlowRun {
  /** For the error message. */
  what: string;
  /** One request as the user sees it, which may take several HTTP calls; throws when it fails. */
  flow: (worker: number) => Promise<unknown>;
  concurrency: number;
  seconds: number;
  /**
   * Share of failed flows a run may have and still count its successful ones (0 unless set): for a
   * peer whose failures under concurrency are its own behaviour, which the report then states.
   */
  toleratedFailures?: number;
}

export type FlowLoad = Load & { firstError?: string };

/**
 * A closed loop of `concurrency` workers, each running the flow back to back (Node's fetch, keep-alive)
 * until `seconds` are over; a flow counts as one request, its latency from its first call to its
 * last answer; the rate counts successful flows. For slow requests (logins, tens per second), where
 * the client's own CPU is nil; flows still running at the end are waited for and counted.
 */
export async function flowLoad(run: FlowRun): Promise<FlowLoad> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const end = started + run.seconds * 1000;
  const worker = async (index: number) => {
    while (performance.now() < end) {
      const begun = performance.now();
      try {
        await run.flow(index);
        latencies.push(performance.now() - begun);
      } catch (err) {
        errors++;
        firstError ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: run.concurrency }, (_, index) => worker(index)));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const percentile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const load = { rps: latencies.length / elapsed, p50Ms: percentile(0.5), p99Ms: percentile(0.99), ok: latencies.length, errors };
  if (errors > (run.toleratedFailures ?? 0) * (load.ok + errors)) expectNoErrors(run.what, load, firstError);
  return { ...load, firstError };
}
