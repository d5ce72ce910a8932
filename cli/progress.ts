/** Progress on stderr: a redrawn bar on a terminal, plain periodic lines otherwise. */
import type { RunProgress } from '../harness/experiment/runner.js';

function formatEta(ms: number | null): string {
  if (ms === null) return '?';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export interface ProgressReporter {
  update(progress: RunProgress): void;
  /** Clears the bar (before other stderr output) and ends the line. */
  finish(): void;
  /** Prints a message without breaking the bar. */
  log(message: string): void;
}

export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr, intervalMs = 10_000): ProgressReporter {
  const tty = stream.isTTY === true;
  let lastPlain = 0;
  let drawn = false;
  let last: RunProgress | null = null;
  const text = (progress: RunProgress): string => {
    const percent = progress.total > 0 ? Math.floor((100 * progress.done) / progress.total) : 100;
    const skipped = progress.skipped > 0 ? `, ${progress.skipped} already done` : '';
    return `${progress.done}/${progress.total} cells (${percent}%${skipped}), elapsed ${formatEta(progress.elapsedMs)}, ETA ${formatEta(progress.etaMs)}`;
  };
  const draw = (progress: RunProgress): void => {
    const width = 30;
    const filled = progress.total > 0 ? Math.round((width * progress.done) / progress.total) : width;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text(progress)}`;
    const columns = stream.columns ?? 100;
    stream.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
    drawn = true;
  };
  return {
    update(progress) {
      last = progress;
      if (tty) {
        draw(progress);
        return;
      }
      const now = Date.now();
      if (progress.done === 0 || progress.done === progress.total || now - lastPlain >= intervalMs) {
        lastPlain = now;
        stream.write(`progress: ${text(progress)}\n`);
      }
    },
    finish() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
    log(message) {
      if (tty && drawn) stream.write('\r\x1b[K');
      stream.write(`${message}\n`);
      if (tty && last) draw(last);
    },
  };
}
