import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'pagedelta-cli-workloads-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectOneLineError(result: ReturnType<typeof run>, pattern: RegExp): void {
  expect(result.status).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('pagedelta CLI: workloads and traces', () => {
  it('workloads list names every generator', () => {
    const result = run('workloads', 'list', '--format', 'csv');
    expect(result.status).toBe(0);
    for (const name of ['seed-loadgen', 'scenario', 'uniform', 'hotset', 'zipf', 'scan', 'qemu-age-test', 'idle', 'trace']) expect(result.stdout).toContain(`\n${name},`);
  });

  it('workloads bench reports generator cost and trace I/O', () => {
    const result = run('workloads', 'bench', '--workload', 'zipf:rate=100000', '--pages', '1024', '--seconds', '0.05', '--repeats', '1', '--trace-pages', '256', '--format', 'json');
    expect(result.status).toBe(0);
    const tables = result.stdout.trim().split(/\n(?=\{)/).map((text) => JSON.parse(text) as { rows: Record<string, number | string>[] });
    expect(tables[0]!.rows.map((row) => String(row.workload).split(':')[0])).toEqual(['reference', 'reference', 'zipf']);
    expect(tables[0]!.rows[2]).toMatchObject({ writesPerSimSecond: 100000 });
    expect(tables[1]!.rows[0]!.writeMBps as number).toBeGreaterThan(0);
  });

  it('trace synth then trace info (json): exact counts', () => {
    const out = join(directory, 'loadgen.pdt');
    const synth = run('trace', 'synth', '--workload', 'seed-loadgen:rate=1000', '--ram', '256K', '--duration', '1s', '--step', '100ms', '--out', out);
    expect(synth.status).toBe(0);
    expect(synth.stdout).toMatch(/wrote 11 epochs, 640 page entries/);
    const info = run('trace', 'info', out, '--format', 'json');
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ epochs: 11, dirtyings: 640, distinctPages: 64, durationMs: 1000, header: { pageCount: 64, kind: 'content' } });
    const markdown = run('trace', 'info', out);
    expect(markdown.stdout).toContain('## Dirty rate over time');
    expect(markdown.stdout).toContain('| mean changed bytes per dirtied page |');
  });

  it('trace info reads text access lists', () => {
    const keys = join(directory, 'keys.txt');
    writeFileSync(keys, '5\n6\n5\n5\n');
    const info = run('trace', 'info', keys, '--format', 'json');
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ dirtyings: 4, distinctPages: 2, hotSetPages: 2, fileFormat: 'text (page or time,page per line)' });
  });

  it('bad input: one line, exit 1, nothing left under the output name', () => {
    expectOneLineError(run('trace', 'info', join(directory, 'missing.pdt')), /cannot open trace .*missing.pdt: ENOENT/);
    expectOneLineError(run('trace', 'info', directory), /^pagedelta: cannot read trace .*: it is a directory$/);
    expectOneLineError(run('trace', 'synth', '--workload', 'zipf', '--ram', '16M', '--duration', '1s', '--duration', '0s', '--out', join(directory, 'twice.pdt')), /^pagedelta: --duration given more than once \(1s, 0s\): give it once$/);
    expectOneLineError(run('trace', 'bench-read', directory), /^pagedelta: cannot read trace .*: it is a directory$/);
    expectOneLineError(run('trace', 'synth', '--workload', 'zipf', '--ram', '16M', '--page-size', '32M', '--out', join(directory, 'p.pdt')), /--page-size 33554432 bytes is outside the valid range 8 \.\. 16777216 bytes/);
    expectOneLineError(run('trace', 'record', '--out', join(directory, 'i.pdt'), '--interval', '1e-9', '--', 'sleep', '1'), /--interval must be 1 ms \.\. 24 h, got 1e-9/);
    const corrupt = join(directory, 'corrupt.pdt');
    const good = join(directory, 'good.pdt');
    expect(run('trace', 'synth', '--workload', 'uniform:rate=100', '--ram', '64K', '--duration', '200ms', '--out', good).status).toBe(0);
    const bytes = readFileSync(good);
    writeFileSync(corrupt, bytes.subarray(0, bytes.length - 10));
    expectOneLineError(run('trace', 'info', corrupt), /truncated at offset \d+: expected/);
    const out = join(directory, 'bad.pdt');
    expectOneLineError(run('trace', 'synth', '--workload', 'zipf:skew=-1', '--ram', '64K', '--out', out), /workload "zipf": skew=-1 must be >= 0/);
    expectOneLineError(run('trace', 'synth', '--workload', 'nosuch', '--ram', '64K', '--out', out), /unknown workload "nosuch"; valid: seed-loadgen, /);
    expectOneLineError(run('trace', 'record', '--out', out), /name a process: --pid PID or -- COMMAND ARGS/);
    expectOneLineError(run('trace', 'record', '--out', out, '--pid', '4194303'), /no process with pid 4194303/);
    expectOneLineError(run('trace', 'record', '--out', out, '--interval', 'soon', '--pid', '1'), /bad --interval "soon": expected a duration like "300ms"/);
    expectOneLineError(run('trace', 'record', '--out', out, '--', '/nonexistent/program'), /cannot start \/nonexistent\/program: ENOENT/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(directory).filter((name) => name.includes('.partial-'))).toEqual([]);
  });

  it('trace record --mapping that matches nothing: exit 1 naming the flag, not an empty trace and exit 0', () => {
    const out = join(directory, 'nomapping.pdt');
    const result = run('trace', 'record', '--interval', '50ms', '--duration', '300ms', '--mapping', 'nosuch', '--out', out, '--', 'sleep', '5');
    expect(result.status).toBe(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr.trim().split('\n').pop()).toMatch(/^pagedelta: --mapping nosuch matched no mapping of pid \d+: nothing was recorded/);
  });

  /** Runs the CLI; resolves at exit. `onFirstSnapshot` runs when it says its first snapshot is done. */
  function runUntilExit(args: string[], onFirstSnapshot: () => void): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const cli = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    cli.stdout!.on('data', (data: Buffer) => (stdout += data.toString()));
    cli.stderr!.on('data', (data: Buffer) => {
      const before = stderr;
      stderr += data.toString();
      if (!before.includes('first snapshot') && stderr.includes('first snapshot')) onFirstSnapshot();
    });
    return new Promise((resolve) => cli.on('close', (status) => resolve({ status, stdout, stderr })));
  }

  it('trace record -- COMMAND records until the command exits', async () => {
    const out = join(directory, 'sleep.pdt');
    const flag = join(directory, 'sleep.flag');
    // The command lives until the test, having seen the first snapshot, creates the flag file.
    const script = `while [ ! -e ${flag} ]; do sleep 0.02; done`;
    const result = await runUntilExit(['trace', 'record', '--interval', '50ms', '--out', out, '--', '/bin/sh', '-c', script], () => writeFileSync(flag, ''));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/recorded pid \d+: \d+ epochs .* -> .*sleep.pdt \(stopped: exit\)/);
    expect(result.stdout).toMatch(/achieved interval \(asked 50 ms\): (min [0-9.]+ ms \/ median [0-9.]+ ms \/ max [0-9.]+ ms|fewer than two snapshots)/);
    expect(result.stderr).toMatch(/^dirty tracking: (soft-dirty|content diff)/);
    const info = run('trace', 'info', out, '--format', 'json');
    expect(JSON.parse(info.stdout).header.source).toBe(`command: /bin/sh -c ${script}`);
  });

  it('trace record --pid: a process exiting before --duration keeps a valid trace and says so', async () => {
    const child = spawn('/bin/sh', ['-c', 'read line'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const out = join(directory, 'early.pdt');
    const result = await runUntilExit(['trace', 'record', '--interval', '50ms', '--duration', '20s', '--pid', String(child.pid), '--out', out], () => child.stdin!.end('go\n'));
    expect(result.status).toBe(1);
    const last = result.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(new RegExp(`^pagedelta: process ${child.pid} exited after [0-9.]+ s of the 20.00 s asked; the \\d+ epochs recorded are kept in .*early.pdt$`));
    expect(result.stderr).toMatch(new RegExp(`process ${child.pid} exited after [0-9.]+ s; its epochs recorded so far are kept`));
    const info = run('trace', 'info', out, '--format', 'json');
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout).header.complete).toBe(true);
  });
});
