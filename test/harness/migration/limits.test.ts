import { describe, expect, it } from 'vitest';
import { checkMigrationLimits, estimateMigrationMemory } from '../../../harness/migration/limits.js';
import { resolveOptions } from '../../../harness/migration/options.js';
import { simulateMigration } from '../../../harness/migration/simulate.js';
import { createWorkload } from '../../../workloads/registry.js';

const resolve = (options: Record<string, unknown>) => resolveOptions({ workload: 'idle', ramBytes: 64 * 2 ** 20, ...options }, 'delta', 'qemu');

describe('migration options: every value inside a documented range, checked before allocation', () => {
  it('absurd values are one line naming the option and the range', () => {
    expect(() => resolve({ ramBytes: 1e308 })).toThrow(/^ram size 1e\+308 bytes is outside the valid range 8 \.\. 17592186044416 bytes$/);
    expect(() => resolve({ bandwidthBps: 1e-300 })).toThrow(/^bandwidth 1e-300 bytes\/s is outside the valid range 125000 /);
    expect(() => resolve({ bandwidthBps: 1 / 8 })).toThrow(/^bandwidth 0\.125 bytes\/s/);
    expect(() => resolve({ bandwidthBps: 1e308 })).toThrow(/^bandwidth 1e\+308 bytes\/s is outside/);
    expect(() => resolve({ downtimeLimitMs: 1e308 })).toThrow(/^downtime limit 1e\+308 ms is outside the valid range 0 \.\. 2000000 ms$/);
    expect(() => resolve({ switchoverMs: 1e308 })).toThrow(/^switchover cost 1e\+308 ms/);
    expect(() => resolve({ encoderThreads: 1e308 })).toThrow(/encoder threads/);
    expect(() => resolve({ maxTimeMs: 1e308 })).toThrow(/^max time 1e\+308 ms/);
    // The guest is simulated through the setup: 1e9 ms of it never finished.
    expect(() => resolve({ setupMs: 1e9 })).toThrow(/^setup time 1000000000 ms is outside the valid range 0 \.\. 60000 ms$/);
    expect(() => resolve({ setupMs: 60_000 })).not.toThrow();
  });

  it('a run whose one pass would last longer than 7 simulated days is refused: 64 MiB at 1 Mbit/s is 537 s, 1 TiB is not', () => {
    expect(() => resolve({ bandwidthBps: 125_000, maxBandwidthBps: 0 })).not.toThrow();
    expect(() => resolve({ ramBytes: 2 ** 40, bandwidthBps: 125_000, verify: 'digest' })).toThrow(/would take 101\.8 simulated days \(limit 7\)/);
  });

  it('a guest larger than the machine says how much memory it needs, before allocating it', () => {
    const options = resolve({ ramBytes: 2 ** 30 });
    // 1 GiB guest + 1 GiB destination + 64 MiB cache + 24 B per page
    expect(estimateMigrationMemory(options)).toBe(2 * 2 ** 30 + 64 * 2 ** 20 + 24 * 2 ** 18);
    expect(() => checkMigrationLimits(options, 2 * 2 ** 30)).toThrow(/^a 1\.0 GiB guest needs about 2\.1 GiB of memory here .*this machine has 2\.0 GiB; verify: digest needs less$/);
    expect(() => checkMigrationLimits(options, 8 * 2 ** 30)).not.toThrow();
  });

  it('workload rates and replay scale have upper bounds', () => {
    expect(() => createWorkload('zipf:rate=1e308', { pageCount: 1024, pageSize: 4096, seed: 1 })).toThrow(/^workload "zipf": rate=1e308 must be <= 100000000$/);
    expect(() => createWorkload('uniform:rate=2e8', { pageCount: 1024, pageSize: 4096, seed: 1 })).toThrow(/rate=2e8 must be <= 100000000/);
    expect(() => resolve({ backgroundDirtyRate: 1e10 })).toThrow(/^background dirty rate 10000000000 must be <= 100000000$/);
    expect(() => resolve({ backgroundDirtyRate: 1e8 })).not.toThrow();
  });

  it('simulateMigration rejects before building the guest', async () => {
    let failure: unknown;
    try {
      await simulateMigration({ workload: 'idle', ramBytes: 2 ** 44 });
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).toMatch(/a 16384 GiB guest needs about 16512 GiB of memory here/);
  });
});

describe('--max-time is honoured inside a pass', () => {
  it('a run that cannot converge stops within one iteration (<= 50 ms of sending, one 100 ms window) of the limit', async () => {
    // 64 MiB guest at 100 Mbit/s: the bulk pass alone takes 5.4 s, far beyond the 1 s limit.
    const result = await simulateMigration({ workload: 'uniform:rate=20000,bytes=page', ramBytes: 64 * 2 ** 20, bandwidthBps: 12.5e6, maxBandwidthBps: 0, maxTimeMs: 1000, codec: 'none' });
    expect(result.converged).toBe(false);
    expect(result.stopReason).toBe('max-time');
    const stop = result.timeline.find((entry) => entry.stage === 'stop-and-copy')!;
    expect(stop.startMs).toBeGreaterThanOrEqual(1000);
    expect(stop.startMs).toBeLessThanOrEqual(1000 + 100);
    expect(result.verified).toBe(true);
  });
});
