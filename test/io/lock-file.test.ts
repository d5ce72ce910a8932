import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LockedError, lockFile } from '../../io/lock-file.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pagedelta-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that certainly names no process: one that has run and been reaped. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('lockFile', () => {
  it('is exclusive while held, free again once released', () => {
    const target = join(dir, 'a.jsonl');
    const lock = lockFile(target);
    expect(readFileSync(`${target}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    expect(() => lockFile(target)).toThrow(LockedError);
    expect(() => lockFile(target)).toThrow(new RegExp(`being written by another run \\(pid ${process.pid}, lock `));
    lock.release();
    expect(existsSync(`${target}.lock`)).toBe(false);
    lockFile(target).release();
  });

  it('takes over a lock whose owner is gone', () => {
    const target = join(dir, 'b.jsonl');
    writeFileSync(`${target}.lock`, `${deadPid()}\n`);
    const lock = lockFile(target);
    expect(readFileSync(`${target}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });

  it('pagedelta run refuses a results file another live run holds, with one line naming its pid, and writes nothing', () => {
    const experiment = join(dir, 'grid.yaml');
    writeFileSync(experiment, 'name: locked\nkinds: [codec]\ncodecs: [xbzrle]\nscenarios: [SPARSE]\nsettings: { codecPages: 16, codecTimeMs: 5 }\n');
    const out = join(dir, 'grid.jsonl');
    const held = lockFile(out); // this test process stands for the other run
    try {
      const result = spawnSync(process.execPath, [CLI, 'run', experiment, '--out', out], { encoding: 'utf8', timeout: 120_000 });
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([`pagedelta: ${out} is being written by another run (pid ${process.pid}, lock ${out}.lock); wait for it to finish or stop it`]);
      expect(existsSync(out)).toBe(false);
    } finally {
      held.release();
    }
    const free = spawnSync(process.execPath, [CLI, 'run', experiment, '--out', out], { encoding: 'utf8', timeout: 120_000 });
    expect(free.status).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(existsSync(`${out}.lock`)).toBe(false);
  });
});
