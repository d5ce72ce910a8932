import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../../cli/progress.js';
import { temporaryDirectory } from '../temporary-directory.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
// util-linux's script(1) runs a command on a pseudo-terminal: the only way to give the CLI a real TTY.
const SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
if (!SCRIPT) console.log('skipped: the terminal-progress test of reproduce needs script(1) from util-linux, which is not installed');

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

describe('reproduce: progress on a terminal only', () => {
  it.skipIf(!SCRIPT)('on a TTY it redraws one line in place and clears it; piped, stderr stays empty', () => {
    const dir = temporaryDirectory('pagedelta-progress-');
    const args = ['reproduce', 'convergence-map', '--quick', '--format', 'csv'];
    // On a pseudo-terminal (stdout and stderr both the terminal; the table goes to a file).
    const command = [process.execPath, CLI, ...args, '--out', join(dir, 'tty.csv')].map((word) => `'${word}'`).join(' ');
    const tty = spawnSync('script', ['-q', '-e', '-f', '-c', command, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/^\r\x1b\[Kconvergence-map: \d+\/(\d+) migrations/);
    expect(tty.stdout).toMatch(/convergence-map: (\d+)\/\1 migrations/); // the last redraw: all done
    expect(tty.stdout.endsWith('\r\x1b[K')).toBe(true); // the line is cleared before the output
    expect(tty.stdout).not.toContain('\n');
    // Piped: no progress at all, and the same table.
    const piped = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
    expect(piped.stdout.trim()).toBe(readFileSync(join(dir, 'tty.csv'), 'utf8').trim());
  });
});
