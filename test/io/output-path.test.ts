import { spawn, spawnSync } from 'node:child_process';
import { closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutputFile, checkOutputFolder, OutputPathError } from '../../io/output-path.js';
import { writeFileAtomic } from '../../io/write-file.js';

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

/**
 * A full disk without root or a mount: this preload makes every file opened for writing under
 * $FULL_DIR exist but write to /dev/full, so the CLI's own writes fail with a real ENOSPC. With
 * $FULL_BYTES, each such file takes that many bytes (the last write partly) before ENOSPC.
 */
const FULL_DISK = `
const fs = require('node:fs');
const open = fs.openSync;
const write = fs.writeSync;
const budget = new Map();
fs.openSync = (path, flags, mode) => {
  if (typeof path === 'string' && path.startsWith(process.env.FULL_DIR) && /[wa]/.test(String(flags))) {
    const fd = open(path, flags, mode);
    if (process.env.FULL_BYTES) {
      budget.set(fd, Number(process.env.FULL_BYTES));
      return fd;
    }
    fs.closeSync(fd);
    return open('/dev/full', 'w');
  }
  return open(path, flags, mode);
};
fs.writeSync = (fd, data, ...rest) => {
  if (!budget.has(fd)) return write(fd, data, ...rest);
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset + (rest[0] ?? 0), rest[1] ?? data.length - (rest[0] ?? 0));
  const left = budget.get(fd);
  if (left === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  const written = write(fd, bytes, 0, Math.min(left, bytes.length));
  budget.set(fd, left - written);
  return written;
};
require('node:module').syncBuiltinESMExports();
`;

describe('a full disk or a failed rename leaves no file behind', () => {
  const full = join(dir, 'full');
  const preload = join(dir, 'full-disk.cjs');
  mkdirSync(full);
  writeFileSync(preload, FULL_DISK);
  const runFull = (args: string[], bytes?: number) => {
    const env = { ...process.env, FULL_DIR: full, ...(bytes !== undefined ? { FULL_BYTES: String(bytes) } : {}) };
    const result = spawnSync(process.execPath, ['--require', preload, CLI, ...args], { encoding: 'utf8', timeout: 120_000, env });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it('writeFileAtomic writes or replaces a file, and a failed rename names the output and leaves no temporary file', () => {
    const path = join(dir, 'atomic.txt');
    writeFileAtomic(path, 'one');
    writeFileAtomic(path, new Uint8Array([0x74, 0x77, 0x6f]));
    expect(readFileSync(path, 'utf8')).toBe('two');
    mkdirSync(join(dir, 'adir'));
    expect(() => writeFileAtomic(join(dir, 'adir'), 'x')).toThrow(/^cannot write .*adir: illegal operation on a directory$/);
    expect(readdirSync(dir).filter((name) => name.includes('.partial-'))).toEqual([]);
  });

  it('--out on a full disk: one line naming the file, exit 1, no empty or temporary file', () => {
    const trace = join(dir, 'small.pdt');
    expect(run('trace', 'synth', '--workload', 'zipf:rate=2000', '--ram', '1M', '--duration', '200ms', '--out', trace).status).toBe(0);
    const commands: [string, string[]][] = [
      ['m.md', ['migrate', '--workload', 'zipf:rate=2000', '--ram', '4M']],
      ['c.md', ['caches', 'sim', '--workload', 'zipf:rate=2000', '--policy', 'lru', '--capacity', '64']],
      ['i.md', ['trace', 'info', trace]],
      ['l.md', ['codecs', 'list']],
      ['t.pdt', ['trace', 'synth', '--workload', 'zipf:rate=2000', '--ram', '1M', '--duration', '200ms']],
    ];
    for (const [name, args] of commands) {
      const out = join(full, name);
      const result = runFull([...args, '--out', out]);
      expect(result.status).toBe(1);
      // caches sim prints its progress first; the error is the last line, and the only one.
      expect(result.stderr.trim().split('\n').filter((line) => line.startsWith('pagedelta:') || /^\s+at /.test(line))).toEqual([`pagedelta: cannot write ${out}: no space left on device`]);
      expect(readdirSync(full)).toEqual([]);
    }
  });

  it('run: a lock that cannot be written is removed; a row the disk cut short is cut off, the rows before stay', () => {
    const experiment = join(dir, 'codec-grid.json');
    writeFileSync(experiment, JSON.stringify({ kinds: ['codec'], codecs: ['xbzrle', 'raw'], scenarios: ['SPARSE'], settings: { codecPages: 32, codecTimeMs: 5 } }));
    const out = join(full, 'grid.jsonl');
    expectOneLine(runFull(['run', experiment, '--workers', '0', '--out', out]), new RegExp(`^pagedelta: cannot lock ${out}: no space left on device$`));
    expect(readdirSync(full)).toEqual([]);
    expect(run('run', experiment, '--workers', '0', '--out', join(dir, 'grid.jsonl')).status).toBe(0);
    const first = readFileSync(join(dir, 'grid.jsonl'), 'utf8').split('\n')[0]!;
    const result = runFull(['run', experiment, '--workers', '0', '--out', out], first.length + 20);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n').pop()).toBe(`pagedelta: cannot write ${out}: no space left on device`);
    const kept = readFileSync(out, 'utf8');
    expect(kept.endsWith('\n')).toBe(true);
    expect(kept.split('\n')).toHaveLength(2); // one whole row, no partial second
    rmSync(out);
  });

  it('stdout on a full disk is one line, not a stack trace', () => {
    const devFull = openSync('/dev/full', 'w');
    try {
      const result = spawnSync(process.execPath, [CLI, 'codecs', 'list'], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', devFull, 'pipe'] });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe('pagedelta: cannot write stdout: no space left on device\n');
    } finally {
      closeSync(devFull);
    }
  });
});
