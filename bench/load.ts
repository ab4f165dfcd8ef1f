/** What one load run measured. Latencies in milliseconds. */
export interface Load {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests answered with success. */
  ok: number;
  /** Requests that failed (non-OK status, non-2xx, or transport error). */
  errors: number;
}

/** Throws when a run had failures: a number made of errors would be meaningless. */
export function expectNoErrors(what: string, load: Load, detail = ''): Load {
  if (load.errors > 0 || load.ok === 0) throw new Error(`${what}: ${load.errors} errors, ${load.ok} ok ${detail}`);
  return load;
}

/**
 * Runs the subjects alternately, `rounds` times over, and keeps each one's best run by throughput.
 * On a shared machine, work from outside only ever lowers a rate, so the best of alternating runs
 * compares the subjects under the most similar conditions.
 */
export async function bestOf(rounds: number, subjects: Array<() => Promise<Load>>): Promise<Load[]> {
  const best: Array<Load | undefined> = subjects.map(() => undefined);
  for (let round = 0; round < rounds; round++) {
    for (const [index, subject] of subjects.entries()) {
      const load = await subject();
      if (!best[index] || load.rps > best[index].rps) best[index] = load;
    }
  }
  return best as Load[];
}
