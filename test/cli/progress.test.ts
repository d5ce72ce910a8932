import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../../cli/progress.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let written = '';
  const stream = {
    isTTY,
    columns: 120,
    write(chunk: string) {
      written += chunk;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => written };
}

describe('progress on stderr', () => {
  it('redraws a bar with cells done and ETA on a terminal', () => {
    const { stream, text } = fakeStream(true);
    const progress = createProgressReporter(stream);
    progress.update({ done: 0, total: 4, skipped: 2, elapsedMs: 0, etaMs: null });
    progress.update({ done: 1, total: 4, skipped: 2, elapsedMs: 30_000, etaMs: 90_000 });
    progress.log('warning: something');
    progress.finish();
    const out = text();
    expect(out).toContain('\r[########......................] 1/4 cells (25%, 2 already done), elapsed 30s, ETA 1m30s');
    expect(out).toContain('\r\x1b[Kwarning: something\n');
    expect(out.endsWith('\n')).toBe(true);
  });

  it('prints plain lines, at most one per interval, off a terminal', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgressReporter(stream, 60_000);
    for (let done = 0; done <= 10; done++) progress.update({ done, total: 10, skipped: 0, elapsedMs: done * 1000, etaMs: done > 0 ? (10 - done) * 1000 : null });
    const lines = text().trim().split('\n');
    expect(lines).toEqual([
      'progress: 0/10 cells (0%), elapsed 0s, ETA ?',
      'progress: 10/10 cells (100%), elapsed 10s, ETA 0s',
    ]);
    expect(text()).not.toContain('\r');
  });
});
