// Bad input to the real-QEMU harness: one clear line each, checked before anything starts, so
// these run without QEMU (missing binary through a PATH override, port in use, no kernel).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGuestLog, runQemuMigration, validateRunOptions } from '../../qemu/run.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'pd-qemu-errors-'));
const fakeKernel = join(folder, 'vmlinuz');
writeFileSync(fakeKernel, 'not a kernel');
let server: Server;
let busyPort = 0;
beforeAll(
  () =>
    new Promise<void>((resolve) => {
      server = createServer();
      server.listen(0, '127.0.0.1', () => {
        busyPort = (server.address() as { port: number }).port;
        resolve();
      });
    }),
);
afterAll(() => {
  server.close();
  rmSync(folder, { recursive: true, force: true });
});

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, 'qemu', ...args], { encoding: 'utf8', timeout: 60000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectOneLine(result: ReturnType<typeof cli>, pattern: RegExp): void {
  expect(result.status).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('runQemuMigration refuses before starting anything', () => {
  it('QEMU missing (PATH override)', async () => {
    await expect(runQemuMigration({ workload: 'idle', kernel: fakeKernel, searchPath: folder })).rejects.toThrow(
      /^qemu-system-x86_64 not found on PATH \(install the Debian package qemu-system-x86/,
    );
  });
  it('port in use', async () => {
    await expect(runQemuMigration({ workload: 'idle', port: busyPort, kernel: fakeKernel })).rejects.toThrow(new RegExp(`^port ${busyPort} on 127.0.0.1 is in use$`));
  });
  it('no kernel in the cache', async () => {
    await expect(runQemuMigration({ workload: 'idle', cacheDir: folder })).rejects.toThrow(/^no guest kernel in .* \(run "pagedelta qemu install", or pass --kernel FILE\)$/);
  });
  it('bad sizes and workloads', () => {
    expect(() => validateRunOptions({ workload: 'idle', ramBytes: 100 * 2 ** 20 + 5 })).toThrow(/whole number of MiB/);
    expect(() => validateRunOptions({ workload: 'idle', bufferBytes: 240 * 2 ** 20 })).toThrow(/leaves the guest kernel less than 48 MiB/);
    expect(() => validateRunOptions({ workload: 'idle', cacheBytes: 512 * 2 ** 20 })).toThrow(/exceeds the guest's RAM/);
    expect(() => validateRunOptions({ workload: 'idle', cacheBytes: 48 * 2 ** 20 })).toThrow(/^xbzrle cache size 50331648 bytes is not a power of two, which QEMU's migrate-set-parameters refuses$/);
    expect(() => validateRunOptions({ workload: 'hotset:hot=2,share=3' })).toThrow(/share/);
    expect(() => validateRunOptions({ workload: 'idle', port: 70000 })).toThrow(/port must be 1..65535/);
  });
});

describe('pagedelta qemu: one line, exit 1', () => {
  it('missing QEMU', () => expectOneLine(cli('run', '--kernel', fakeKernel, '--path', folder), /^pagedelta: qemu-system-x86_64 not found on PATH/));
  it('port in use', () => expectOneLine(cli('run', '--kernel', fakeKernel, '--port', String(busyPort)), new RegExp(`^pagedelta: port ${busyPort} on 127.0.0.1 is in use$`)));
  it('no kernel', () => expectOneLine(cli('run', '--cache-dir', folder), /^pagedelta: no guest kernel in/));
  it('unwritable --out, checked first', () => expectOneLine(cli('run', '--out', join(folder, 'missing', 'x.json')), /^pagedelta: --out .*: folder .*missing does not exist$/));
  it('a workload the dirtier does not run', () => expectOneLine(cli('compare', '--workload', 'zipf'), /^pagedelta: the guest dirtier runs/));
  it('--from a file that is not a run', () => {
    const path = join(folder, 'other.json');
    writeFileSync(path, '{"a": 1}');
    expectOneLine(cli('compare', '--from', path), /is not a "pagedelta qemu run" result$/);
  });
  it('--calibrate with --kernel-pages', () => expectOneLine(cli('compare', '--calibrate', '--kernel-pages', '5'), /^pagedelta: --calibrate and --kernel-pages both give the kernel pages; pass one$/));
  it('unknown flag (strict)', () => expectOneLine(cli('run', '--colour', 'red'), /^pagedelta: Unknown argument: colour$/));
});

describe('guest serial log', () => {
  it('reads the ready line, rates (median of those during the migration), placement and meminfo', () => {
    const log = [
      '[    5.7] Run /init as init process',
      'pd: placement resident=2048 runs=155 lowest-frame=7682 highest-frame=32735',
      'pd: meminfo total-kib=81920 free-kib=48436',
      'pd: ready workload=hotset pages=2048 rate=20000 content=random seed=1',
      'pd: rate 20001 writes/s',
      'pd: rate 19000 writes/s',
      'pd: rate 15000 writes/s',
      'pd: rate 17000 writes/s',
      '',
    ].join('\r\n');
    const report = parseGuestLog(log, 5);
    expect(report.readyLine).toBe('pd: ready workload=hotset pages=2048 rate=20000 content=random seed=1');
    expect(report.rates).toEqual([20001, 19000, 15000, 17000]);
    expect(report.measuredRate).toBe(17000); // median of 19000, 15000, 17000
    expect(report.placement).toEqual({ resident: 2048, runs: 155, lowestFrame: 7682, highestFrame: 32735 });
    expect(report.meminfo).toEqual({ totalKiB: 81920, freeKiB: 48436 });
    expect(parseGuestLog('nothing', undefined)).toMatchObject({ readyLine: '', rates: [], measuredRate: null, placement: null });
  });
});
