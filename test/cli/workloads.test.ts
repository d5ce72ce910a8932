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

  it('trace record -- COMMAND records until the command exits', () => {
    const out = join(directory, 'sleep.pdt');
    const result = run('trace', 'record', '--interval', '50ms', '--out', out, '--', '/bin/sleep', '0.4');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/recorded pid \d+: \d+ epochs .* -> .*sleep.pdt \(stopped: exit\)/);
    const info = run('trace', 'info', out, '--format', 'json');
    expect(JSON.parse(info.stdout).header.source).toBe('command: /bin/sleep 0.4');
  });

  it('trace record --pid: a process exiting before --duration keeps a valid trace and says so', () => {
    const child = spawn('/bin/sleep', ['2'], { stdio: 'ignore' });
    const out = join(directory, 'early.pdt');
    const result = run('trace', 'record', '--interval', '50ms', '--duration', '20s', '--pid', String(child.pid), '--out', out);
    expectOneLineError(result, new RegExp(`process ${child.pid} exited after [0-9.]+ s of the 20.00 s asked; the \\d+ epochs recorded are kept in .*early.pdt`));
    const info = run('trace', 'info', out, '--format', 'json');
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout).header.complete).toBe(true);
  });
});
