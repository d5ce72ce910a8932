import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectOneLineError(result: ReturnType<typeof run>, pattern: RegExp): void {
  expect(result.status).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('pagedelta CLI: codecs', () => {
  it('codecs list prints the seven codecs', () => {
    const result = run('codecs', 'list', '--format', 'csv');
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('name,kind,description');
    for (const name of ['xbzrle', 'xbrle', 'xor-lz4', 'xor-snappy', 'lz4', 'snappy', 'raw']) expect(result.stdout).toContain(`\n${name},`);
  });

  it('codecs bench measures and verifies (JSON rows with exact sizes)', () => {
    const result = run('codecs', 'bench', '--codec', 'xbzrle,xbrle', '--scenario', 'SPARSE', '--pages', '64', '--time', '20', '--batch', '16', '--format', 'json');
    expect(result.status).toBe(0);
    const table = JSON.parse(result.stdout) as { rows: Array<Record<string, unknown>> };
    expect(table.rows).toHaveLength(2);
    expect(table.rows[0]).toMatchObject({ codec: 'xbzrle', scenario: 'SPARSE', encodedBytes: 59, overflowPages: 0, verified: true });
    expect(table.rows[0]!.encodeMBps as number).toBeGreaterThan(0);
    expect(table.rows[0]!.xorMBps as number).toBeGreaterThan(0);
    expect(table.rows[1]).toMatchObject({ codec: 'xbrle', verified: true });
  });

  it('rejects an unknown codec naming the valid ones', () => {
    expectOneLineError(run('codecs', 'bench', '--codec', 'zstd', '--pages', '8'), /unknown codec "zstd"; valid codecs: xbzrle, xbrle/);
  });

  it('rejects an unknown scenario, a bad number and an unknown flag', () => {
    expectOneLineError(run('codecs', 'bench', '--scenario', 'HUGE', '--pages', '8'), /unknown scenario "HUGE"/);
    expectOneLineError(run('codecs', 'bench', '--pages', '-5'), /--pages must be a positive number/);
    expectOneLineError(run('codecs', 'bench', '--pages', 'many'), /--pages must be a positive number/);
    expectOneLineError(run('codecs', 'list', '--bogus'), /Unknown argument/i);
    expectOneLineError(run('codecs', 'frobnicate'), /"frobnicate" is not a valid action; valid: /);
    expectOneLineError(run('reproduce', 'nothing'), /"nothing" is not a valid name; valid: /);
    expectOneLineError(run(), /name a command/);
  });
});
