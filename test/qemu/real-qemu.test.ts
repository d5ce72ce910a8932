// Real QEMU migrations (two short configurations, one without XBZRLE, one with), run when
// qemu-system-x86_64, gcc and a guest kernel are on this host; skipped with the reason printed
// otherwise. Asserts what must hold whatever the host's speed: the migration completes and the
// destination runs, every page of QEMU's RAM went at least once, the bytes cover the guest's
// non-zero pages, and the simulator, given the guest kernel's pages measured on the first run,
// predicts the second run's bytes, normal and duplicate pages within 10%.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareWithSimulator } from '../../qemu/compare.js';
import { runQemuMigration } from '../../qemu/run.js';
import { softDirtyRuns } from '../../workloads/trace/recorder/soft-dirty.js';
import { defaultCacheDir, findExecutable, findKernel } from '../../qemu/tools.js';

function missing(): string | null {
  if (!findExecutable('qemu-system-x86_64')) return 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)';
  if (!findExecutable('gcc')) return 'gcc is not installed';
  try {
    findKernel(defaultCacheDir());
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}

const reason = missing();
if (reason) console.log(`skipping the real-QEMU tests: ${reason}`);

/** QEMU processes that are children of this test process (there must be none after a run). */
function qemuChildren(): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => /qemu-system/.test(line));
  } catch {
    return []; // ps exits 1 when there is no child at all
  }
}

const PAGE = 4096;
const common = {
  ramBytes: 128 * 2 ** 20,
  bufferBytes: 32 * 2 ** 20,
  maxBandwidthBps: 1e9,
  downtimeLimitMs: 300,
  warmupMs: 500,
  accelerator: 'tcg' as const,
  migrateTimeoutMs: 40000,
};

describe.skipIf(reason !== null)('real QEMU', () => {
  let kernelPages = 0;

  it('idle guest, XBZRLE off: completes, every page sent once, bytes cover the non-zero pages', { timeout: 120000 }, async () => {
    const run = await runQemuMigration({ ...common, workload: 'idle:content=random' });
    expect(qemuChildren()).toEqual([]);
    expect(run.final.status).toBe('completed');
    expect(run.destinationStatus).toBe('running');
    expect(run.qemu.version).toMatch(/^\d+\.\d+\.\d+$/);
    const ram = run.final.ram as Record<string, number>;
    // QEMU's RAM is the guest's plus its ROM and option blocks.
    expect(ram.total).toBeGreaterThan(common.ramBytes);
    expect(ram.normal + ram.duplicate).toBeGreaterThanOrEqual(ram.total / PAGE);
    expect(ram.transferred).toBeGreaterThanOrEqual(common.bufferBytes);
    expect(ram['normal-bytes']).toBe(ram.normal * PAGE);
    expect(run.polls.length).toBeGreaterThan(0);
    // Every non-zero page went once (an idle guest re-dirties only a few of its kernel's pages).
    kernelPages = ram.normal - common.bufferBytes / PAGE;
    expect(kernelPages).toBeGreaterThan(0);

    // The guest's Debian kernel has soft-dirty tracking, exercised as the recorder uses it and
    // parsed with the recorder's own pagemap parser: after clear_refs no probe page is dirty;
    // after the writes exactly the written pages are, those rewritten with the same bytes too.
    const probe = run.guest.softDirty;
    expect(probe).not.toBeNull();
    if (probe === null || 'unavailable' in probe) throw new Error(`soft-dirty probe: ${probe === null ? 'no output' : probe.unavailable}`);
    const entries = probe.cleared.length / 8;
    expect(entries).toBe(32);
    const runs = new Int32Array(2 * entries);
    expect(softDirtyRuns(probe.cleared, entries, runs)).toBe(0);
    const found = softDirtyRuns(probe.written, entries, runs);
    const dirty: number[] = [];
    for (let r = 0; r < found; r++) for (let k = 0; k < runs[2 * r + 1]!; k++) dirty.push(runs[2 * r]! + k);
    expect(probe.changedPages).toEqual([1, 3, 20]);
    expect(probe.samePages).toEqual([2, 7, 31]);
    expect(dirty).toEqual([1, 2, 3, 7, 20, 31]);
    expect(found).toBe(4); // 1-3 adjacent: one run, one read of /proc/PID/mem
  });

  it('hot set with XBZRLE: completes, the guest reports its rate, the simulator predicts the bytes and pages within 10%', { timeout: 120000 }, async () => {
    const run = await runQemuMigration({ ...common, workload: 'hotset:hot=1024,rate=2000,content=random', xbzrle: true, cacheBytes: 16 * 2 ** 20 });
    expect(qemuChildren()).toEqual([]);
    expect(run.final.status).toBe('completed');
    expect(run.destinationStatus).toBe('running');
    expect(run.guest.readyLine).toMatch(/^pd: ready workload=hotset pages=8192 rate=2000 content=random seed=1/);
    expect(run.guest.measuredRate).toBeGreaterThan(0);
    const cache = run.final['xbzrle-cache'] as Record<string, number>;
    expect(cache['cache-size']).toBe(16 * 2 ** 20);
    const ram = run.final.ram as Record<string, number>;
    expect(ram.normal + ram.duplicate + cache.pages).toBeGreaterThanOrEqual(ram.total / PAGE);
    expect(ram.transferred).toBeGreaterThanOrEqual(common.bufferBytes);

    const comparison = compareWithSimulator(run, { kernelPages: kernelPages || undefined });
    expect(comparison.kernelPagesSource).toBe(kernelPages ? 'given' : 'bulk pass of this run');
    // At this bandwidth QEMU may end its first pass by stopping the guest in the middle of it, so
    // "the bulk pass" is not a stable poll; the bytes of the whole run are (every non-zero page
    // once, plus the few the hot set re-dirties).
    const transferred = comparison.rows.find((row) => row.metric === 'transferred (bytes)')!;
    expect(transferred.ratio).toBeGreaterThan(0.9);
    expect(transferred.ratio).toBeLessThan(1.1);
    const normal = comparison.rows.find((row) => row.metric === 'normal (pages)')!;
    expect(normal.ratio).toBeGreaterThan(0.9);
    expect(normal.ratio).toBeLessThan(1.1);
    const duplicate = comparison.rows.find((row) => row.metric === 'duplicate (pages)')!;
    expect(duplicate.ratio).toBeGreaterThan(0.9);
    expect(duplicate.ratio).toBeLessThan(1.1);
  });

  it('a guest that is not ready in time: one line, nothing left running', { timeout: 60000 }, async () => {
    await expect(runQemuMigration({ ...common, workload: 'idle', bootTimeoutMs: 300 })).rejects.toThrow(/^the guest did not print its ready line within 0.3 s$/);
    expect(qemuChildren()).toEqual([]);
  });

  it('SIGINT to "pagedelta qemu run" stops both QEMUs by pid: one line, non-zero exit', { timeout: 60000 }, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'pd-qemu-sigint-'));
    try {
      const cli = spawn(process.execPath, [fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url)), 'qemu', 'run', '--accel', 'tcg', '--ram', '128M', '--buffer', '8M', '--cache-dir', cacheDir, '--kernel', findKernel(defaultCacheDir())], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
      // Synchronise on the harness's own progress line: both QEMUs have started by then.
      await new Promise<void>((resolve) => {
        cli.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('booting the guest')) resolve();
        });
      });
      const running = (): string[] => execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(cacheDir) && line.includes('qemu-system'));
      expect(running()).toHaveLength(2);
      cli.kill('SIGINT');
      expect(await exited).not.toBe(0);
      expect(stderr.trim().split('\n').pop()).toBe('pagedelta: interrupted; both QEMUs stopped');
      expect(running()).toEqual([]);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
