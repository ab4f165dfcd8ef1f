/** What one load run measured. Latencies in milliseconds. */
export interface Load {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests answered with success. */
  ok: number;
  /** Requests that failed (non-OK status, non-2xx, or transport error). */
  errors: number;
  /** CPU of the measured server process meanwhile, in % of one core (all its threads). */
  cpuPercent?: number;
  /** Peak RSS of the measured server process, in MiB, where taken. */
  peakRssMiB?: number;
}

/** Throws when a run had failures: a number made of errors would be meaningless. */
export function expectNoErrors(what: string, load: Load, detail = ''): Load {
  if (load.errors > 0 || load.ok === 0) throw new Error(`${what}: ${load.errors} errors, ${load.ok} ok ${detail}`);
  return load;
}

/** Which of two runs of one subject to keep: the faster, or (for fixed-rate runs) the lower p99. */
export const faster = (a: Load, b: Load): boolean => a.rps > b.rps;
export const steadier = (a: Load, b: Load): boolean => a.p99Ms < b.p99Ms;

/**
 * Runs the subjects alternately, `rounds` times over, and keeps each one's best run. On a shared
 * machine, work from outside only ever lowers a rate and raises a tail, so the best of alternating
 * runs compares the subjects under the most similar conditions.
 */
export async function bestOf<T extends Load[]>(
  rounds: number,
  subjects: { [K in keyof T]: () => Promise<T[K]> },
  better = faster,
): Promise<T> {
  const best: Load[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [index, subject] of subjects.entries()) {
      const load = await subject();
      const kept = best[index];
      if (!kept || better(load, kept)) best[index] = load;
    }
  }
  return best as T;
}
