// The guest's report of where its buffer sits (pd: frames lines), parsed back into frames, and
// the validation's target checks: both pure, so computable by hand.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDirtier } from '../../qemu/build.js';
import type { Comparison } from '../../qemu/compare.js';
import { framesOf, parseFrameRuns, parseSoftDirtyProbe } from '../../qemu/run.js';
import { findExecutable } from '../../qemu/tools.js';
import { checkTargets } from '../../qemu/validate.js';

const gcc = findExecutable('gcc');
if (!gcc) console.log('skipping the frame-report test of the dirtier: gcc is not installed (apt-get install gcc libc6-dev)');
const cacheDir = mkdtempSync(join(tmpdir(), 'pd-placement-test-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('soft-dirty probe lines', () => {
  it('parses the raw entries and the written pages; malformed or missing lines give null', () => {
    const cleared = '00'.repeat(16);
    const written = '0000000000008000' + '0000000000000000'; // entry 0: bit 55 set (byte 6 = 0x80)
    const probe = parseSoftDirtyProbe(['pd: rate 1 writes/s', `pd: soft-dirty cleared ${cleared}`, `pd: soft-dirty written changed=0 same=1 ${written}`]);
    expect(probe).toEqual({ cleared: new Uint8Array(16), written: Uint8Array.from([0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0]), changedPages: [0], samePages: [1] });
    expect(parseSoftDirtyProbe(['pd: soft-dirty unavailable /proc/self/clear_refs: Permission denied'])).toEqual({ unavailable: '/proc/self/clear_refs: Permission denied' });
    expect(parseSoftDirtyProbe([`pd: soft-dirty cleared ${cleared}`])).toBeNull(); // no written line
    expect(parseSoftDirtyProbe([`pd: soft-dirty cleared ${cleared}`, `pd: soft-dirty written changed=0 same=1 ${written}00`])).toBeNull(); // lengths differ
    expect(parseSoftDirtyProbe(['pd: ready'])).toBeNull();
  });
});

describe('frame runs', () => {
  it('parses runs across lines, in buffer order, and expands them', () => {
    const runs = parseFrameRuns(['pd: ready', 'pd: frames 0 100+3 7+1', 'pd: frames 4 x+2 50+1']);
    expect(runs).toEqual([[100, 3], [7, 1], [-1, 2], [50, 1]]);
    expect(framesOf([[100, 3], [7, 1]])).toEqual(Uint32Array.from([100, 101, 102, 7]));
    expect(framesOf(runs!)).toBeNull(); // a page not resident: no placement
  });

  it('refuses lines out of order or malformed (then no placement is used)', () => {
    expect(parseFrameRuns(['pd: frames 0 1+2', 'pd: frames 3 9+1'])).toBeNull(); // index 3, expected 2
    expect(parseFrameRuns(['pd: frames 0 1-2'])).toBeNull();
    expect(parseFrameRuns(['pd: rate 5 writes/s'])).toBeNull();
  });

  it.skipIf(!gcc)('the dirtier reports one frame per buffer page (test mode, as a normal process)', () => {
    const binary = buildDirtier(cacheDir);
    const result = spawnSync(binary, ['--test', '0', 'pd.workload=idle', 'pd.mib=1', 'pd.content=random'], { encoding: 'utf8', env: { ...process.env, PD_PLACEMENT: '1' } });
    expect(result.status).toBe(0);
    const runs = parseFrameRuns(result.stdout.split('\n'));
    expect(runs).not.toBeNull();
    expect(runs!.reduce((sum, [, length]) => sum + length, 0)).toBe(256); // 1 MiB of 4 KiB pages
  });
});

describe('validation targets', () => {
  const comparison = (rows: Record<string, [number, number]>, converged = { qemu: true, simulator: true }): Comparison =>
    ({ converged, rows: Object.entries(rows).map(([metric, [qemu, simulator]]) => ({ metric, qemu, simulator, ratio: simulator / qemu })) }) as unknown as Comparison;

  it('applies each target as issue 9 states it', () => {
    const checks = checkTargets(
      comparison({
        'dirty-sync-count': [9, 11], // |2| <= max(2, 1.8): met
        'total-time (ms)': [5000, 5800], // 16%: missed
        'downtime (ms)': [12, 41], // 29 ms <= max(30, 3.6): met
        'transferred (bytes)': [100, 109], // 9%: met
        'xbzrle pages': [1000, 1160], // 16%: missed
        'xbzrle cache-miss': [1000, 850], // 15%: met
      }),
      true,
    );
    expect(Object.fromEntries(checks.map((check) => [check.figure, check.met]))).toEqual({
      converged: true,
      'dirty-sync-count': true,
      'total-time (ms)': false,
      'downtime (ms)': true,
      'transferred (bytes)': true,
      'xbzrle pages': false,
      'xbzrle cache-miss': true,
    });
  });

  it('a verdict that differs fails; downtime is not judged where QEMU did not converge; no XBZRLE rows without XBZRLE', () => {
    const checks = checkTargets(comparison({ 'dirty-sync-count': [80, 60], 'total-time (ms)': [40000, 40000], 'downtime (ms)': [0, 500], 'transferred (bytes)': [1, 1] }, { qemu: false, simulator: true }), false);
    expect(checks.find((check) => check.figure === 'converged')!.met).toBe(false);
    expect(checks.find((check) => check.figure === 'downtime (ms)')!.met).toBeNull();
    expect(checks.some((check) => check.figure.startsWith('xbzrle'))).toBe(false);
  });
});
