import type { ImportProgress } from '../../core/migration/import-loopback.js';

const WIDTH = 30;
const REDRAW_MS = 100;

export interface ProgressBar {
  update: ImportProgress;
  /** Wipes the bar, so that what follows starts on a clean line. */
  clear(): void;
}

/** A one-line bar redrawn in place, at most every 100 ms and whenever a stage ends. Only for a terminal. */
export function progressBar(out: NodeJS.WriteStream): ProgressBar {
  let lastDrawn = 0;
  return {
    update(stage, done, total) {
      const now = Date.now();
      if (now - lastDrawn < REDRAW_MS && done < total) return;
      lastDrawn = now;
      const share = total === 0 ? 1 : done / total;
      const filled = Math.round(share * WIDTH);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}`;
      out.cursorTo(0);
      out.write(`${stage.padEnd(16)} [${bar}] ${String(Math.floor(share * 100)).padStart(3)}% ${done}/${total}`);
      out.clearLine(1);
    },
    clear() {
      out.cursorTo(0);
      out.clearLine(0);
    },
  };
}
