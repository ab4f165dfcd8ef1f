import { readFileSync, writeFileSync } from 'node:fs';

/** A process's resident set now and its peak (since start or resetPeakMemory), in MiB, from /proc/PID/status. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const kib = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    if (kib === undefined) throw new Error(`no ${name} for process ${pid}`);
    return Number(kib) / 1024;
  };
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** Starts the peak over from the current resident set (Linux: clear_refs 5). */
export function resetPeakMemory(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}
