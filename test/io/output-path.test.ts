import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutputFile, checkOutputFolder, OutputPathError } from '../../io/output-path.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pagedelta-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectOneLine(result: ReturnType<typeof run>, pattern: RegExp): void {
  expect(result.status).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('output paths are checked before any work', () => {
  it('accepts a new path and an existing regular file, refuses the rest by kind', () => {
    expect(() => checkOutputFile(join(dir, 'new.pdt'))).not.toThrow();
    writeFileSync(join(dir, 'old.pdt'), 'x');
    expect(() => checkOutputFile(join(dir, 'old.pdt'))).not.toThrow();
    symlinkSync(join(dir, 'old.pdt'), join(dir, 'link.pdt'));
    expect(() => checkOutputFile(join(dir, 'link.pdt'), '--out')).toThrow(/--out .*link\.pdt is a symbolic link/);
    expect(() => checkOutputFile('/dev/null', '--out')).toThrow(/is a character device/);
    expect(() => checkOutputFile(dir, '--out')).toThrow(/is a directory/);
    expect(() => checkOutputFile('', '--out')).toThrow(OutputPathError);
    expect(() => checkOutputFile(join(dir, 'no', 'such', 'x'), '--out')).toThrow(/does not exist/);
    expect(() => checkOutputFile(join(dir, 'old.pdt', 'x'), '--out')).toThrow(/old\.pdt is a regular file, not a folder/);
  });

  it('a folder output may be created below an existing folder, not below a file', () => {
    expect(() => checkOutputFolder(join(dir, 'plots', 'deeper'))).not.toThrow();
    mkdirSync(join(dir, 'plots'));
    expect(() => checkOutputFolder(join(dir, 'plots'))).not.toThrow();
    writeFileSync(join(dir, 'afile'), '');
    expect(() => checkOutputFolder(join(dir, 'afile', 'plots'), '--plot-dir')).toThrow(/afile is a regular file, not a folder/);
  });

  it('trace synth --out /dev/null is refused and the device node stays a device', () => {
    expectOneLine(run('trace', 'synth', '--workload', 'idle', '--ram', '1M', '--duration', '1s', '--out', '/dev/null'), /^pagedelta: --out \/dev\/null is a character device/);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a symlinked output is refused and the link stays a link', () => {
    symlinkSync(join(dir, 'target'), join(dir, 'out-link'));
    expectOneLine(run('trace', 'synth', '--workload', 'idle', '--ram', '1M', '--duration', '1s', '--out', join(dir, 'out-link')), /is a symbolic link/);
    expect(lstatSync(join(dir, 'out-link')).isSymbolicLink()).toBe(true);
  });

  it('codecs bench --out into a missing folder fails at once, before benchmarking (no table on stdout)', () => {
    const result = run('codecs', 'bench', '--out', '/nonexistent-pagedelta/dir/x');
    expectOneLine(result, /^pagedelta: --out \/nonexistent-pagedelta\/dir\/x: folder \/nonexistent-pagedelta\/dir does not exist$/);
    expect(result.stdout).toBe('');
  });

  it('--out with an empty path is an error, not stdout', () => {
    expectOneLine(run('codecs', 'list', '--out', ''), /--out: empty path/);
  });

  it('an invalid choice is one line naming the value and the valid ones', () => {
    expectOneLine(run('codecs', 'list', '--format', 'xml'), /^pagedelta: "xml" is not a valid format; valid: md, csv, json$/);
    expectOneLine(run('codecs', 'frobnicate'), /^pagedelta: "frobnicate" is not a valid action; valid: list, bench$/);
  });
});

describe('an interrupted trace synth leaves nothing behind', () => {
  it('SIGINT removes the partial file and exits 130', async () => {
    const out = join(dir, 'interrupted.pdt');
    const child = spawn(process.execPath, [CLI, 'trace', 'synth', '--workload', 'uniform:rate=20000', '--ram', '16M', '--duration', '100000s', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // Synchronise on the writer's state: the partial file exists once the handlers are installed.
      const partial = (): string[] => readdirSync(dir).filter((name) => name.startsWith('.interrupted.pdt.partial-'));
      while (partial().length === 0) {
        if (child.exitCode !== null) throw new Error(`synth exited early: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(partial()).toEqual([]);
      expect(readdirSync(dir)).not.toContain('interrupted.pdt');
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/interrupted at \d+ of \d+ epochs; nothing was written/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
