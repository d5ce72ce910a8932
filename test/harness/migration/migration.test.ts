// The simulated pre-copy migration against figures that can be computed by hand: exact idle
// transfer times, the analytic pre-copy model, QEMU's cache-age experiment, XBZRLE's bounds.
import { describe, expect, it } from 'vitest';
import { type MigrationOptions, MigrationVerificationError, simulateMigration } from '../../../harness/migration.js';
import { lastPeriodMissRate, reproduceQemuAgeRule } from '../../../reproductions/qemu-age-rule.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const GBIT = 1e9 / 8;

/** Small, fast defaults: deterministic CPU model, no bandwidth cap. */
function run(options: Partial<MigrationOptions> & { workload: string }) {
  return simulateMigration({ ramBytes: 16 * MiB, maxBandwidthBps: 0, cpu: 'model', ...options });
}

describe('idle guest: exact transfer time', () => {
  it('random content: pages x (8 + 4096) / bandwidth, one pass, nothing in stop-and-copy', () => {
    for (const codec of ['none', 'xbzrle', 'xor-lz4']) {
      const pages = 4096;
      const result = run({ workload: 'idle:content=random', ramBytes: pages * 4096, codec, bandwidthBps: GBIT });
      expect(result.totalTimeMs).toBe((pages * (8 + 4096)) / (GBIT / 1000));
      expect(result.downtimeMs).toBe(0);
      expect(result.rounds).toBe(1);
      expect(result.converged).toBe(true);
      expect(result.wireBytes).toBe(pages * 4104);
      expect(result.stats.ram.normal).toBe(pages);
      expect(result.stats.ram.duplicate).toBe(0);
      expect(result.verified).toBe(true);
    }
  });

  it('zero content: every page is a 9-byte zero record', () => {
    const pages = 4096;
    const result = run({ workload: 'idle:content=zero', ramBytes: pages * 4096, codec: 'xbzrle', bandwidthBps: GBIT });
    expect(result.stats.ram.duplicate).toBe(pages);
    expect(result.wireBytes).toBe(pages * 9);
    expect(result.totalTimeMs).toBe((pages * 9) / (GBIT / 1000));
  });

  it('switchover cost is added to downtime and total time', () => {
    const result = run({ workload: 'idle:content=random', codec: 'none', switchoverMs: 25 });
    expect(result.downtimeMs).toBe(25);
    expect(result.totalTimeMs).toBe((4096 * 4104) / (GBIT / 1000) + 25);
  });

  it("SimGrid's check: a 1.25 GiB idle guest over a 1.25 GiB/s link, payload only, takes 1.0 s", () => {
    const result = simulateMigration({
      workload: 'idle:content=random',
      ramBytes: 1.25 * GiB,
      bandwidthBps: 1.25 * GiB,
      maxBandwidthBps: 0,
      wireHeaders: false,
      codec: 'none',
      verify: 'digest',
    });
    expect(result.totalTimeMs).toBe(1000);
    expect(result.verification).toBe('digest');
  });

  it("QEMU's max-bandwidth quota: a capped link carries at most the quota per 100 ms window", () => {
    const pages = 4096;
    const capBps = 32 * MiB; // 3.2 MiB per window < 1 Gbit/s
    const result = run({ workload: 'idle:content=random', ramBytes: pages * 4096, codec: 'none', bandwidthBps: GBIT, maxBandwidthBps: capBps });
    const bytes = pages * 4104;
    const quota = capBps / 10;
    // Full windows, then the remainder at link speed.
    const windows = Math.ceil(bytes / quota) - 1;
    const lastWindowBytes = bytes - windows * quota;
    expect(result.totalTimeMs).toBeGreaterThan(windows * 100);
    expect(result.totalTimeMs).toBeLessThanOrEqual(windows * 100 + (lastWindowBytes + 4104) / (GBIT / 1000) + 1e-9);
  });
});

describe('uniform dirty rate against the analytic pre-copy model (Liu et al.)', () => {
  it('rounds, total time and downtime agree within a few percent', () => {
    // lambda = D / R small and the guest large, so that random writes rarely hit an
    // already-dirty page (the model's assumption); no compression, payload-only wire.
    const pages = 65536;
    const M = pages * 4096;
    const R = GBIT;
    const lambda = 0.05;
    const ratePagesPerSecond = (lambda * R) / 4096;
    const downtimeLimitMs = 1;
    const result = run({
      workload: `uniform:rate=${ratePagesPerSecond},bytes=16,content=random`,
      ramBytes: M,
      bandwidthBps: R,
      codec: 'none',
      wireHeaders: false,
      downtimeLimitMs,
    });
    // Model: round i sends M lambda^i; stop when what is dirty is below R x limit.
    const threshold = (R / 1000) * downtimeLimitMs;
    let n = 1;
    while (M * lambda ** n >= threshold) n++;
    const totalMs = ((M / R) * (1 - lambda ** (n + 1))) / (1 - lambda) * 1000;
    const downtimeMs = ((M * lambda ** n) / R) * 1000;
    expect(result.rounds).toBe(n);
    expect(result.converged).toBe(true);
    expect(Math.abs(result.totalTimeMs - totalMs) / totalMs).toBeLessThan(0.01);
    expect(Math.abs(result.downtimeMs - downtimeMs) / downtimeMs).toBeLessThan(0.05);
    // Round by round, the bytes follow M lambda^i.
    for (let i = 0; i < n; i++) {
      const modelBytes = M * lambda ** i;
      expect(Math.abs(result.timeline[i]!.wireBytes - modelBytes) / modelBytes).toBeLessThan(0.05);
    }
  });
});

describe("QEMU's cache-age experiment (8 MiB cache, 16 MiB hot set, qemu-age-test, 1 Gbit/s)", () => {
  function ageRun(cache: string) {
    return run({
      workload: 'qemu-age-test:content=random',
      ramBytes: 64 * MiB,
      bandwidthBps: GBIT,
      downtimeLimitMs: 30,
      codec: 'xbzrle',
      cache,
      cacheBytes: 8 * MiB,
      maxRounds: 12,
    });
  }
  it('direct-mapped without the age rule misses nearly always; with it about half the time', () => {
    const noAge = ageRun('qemu-noage');
    const withAge = ageRun('qemu');
    expect(noAge.stats['xbzrle-cache']['cache-miss-rate']).toBeGreaterThan(0.95);
    expect(withAge.stats['xbzrle-cache']['cache-miss-rate']).toBeGreaterThan(0.45);
    expect(withAge.stats['xbzrle-cache']['cache-miss-rate']).toBeLessThan(0.6);
    // A steady-state pass with the rule: half the hot set hits (2048 of 4096 pages).
    const steady = withAge.timeline[withAge.timeline.length - 2]!;
    expect(steady.cacheMisses).toBe(2048);
    expect(withAge.wireBytes).toBeLessThan(noAge.wireBytes);
  });
});

describe('reproduce qemu-age-rule', () => {
  it('gives the published shape: ~100% vs ~50% misses, 26 wire bytes per XBZRLE page, a shorter migration with the rule', () => {
    const { tables, pairs } = reproduceQemuAgeRule({ ramBytes: 64 * MiB, loopRates: [10] });
    expect(tables[0]!.rows).toHaveLength(2);
    const { withoutRule, withRule } = pairs[0]!;
    expect(lastPeriodMissRate(withoutRule)).toBe(1);
    expect(lastPeriodMissRate(withRule)).toBe(0.5);
    expect(withRule.wire.xbzrle.bytes / withRule.wire.xbzrle.pages).toBe(26);
    expect(withRule.totalTimeMs).toBeLessThan(withoutRule.totalTimeMs);
    expect(tables[0]!.notes!.join('\n')).not.toMatch(/does NOT hold/);
  });
});

describe('XBZRLE on the wire', () => {
  it('never costs more than a normal page plus its 3 header bytes: saturated whole-page rewrites differ only by identical pages', () => {
    // 512 hot pages rewritten a million times a second: every pass finds the same pages dirty
    // whatever its duration, so both runs send the same pages and can be compared byte for byte.
    const workload = 'hotset:rate=1000000,hot=512,share=1,bytes=page,content=random';
    const plain = run({ workload, codec: 'none', downtimeLimitMs: 10, maxRounds: 8 });
    const xbzrle = run({ workload, codec: 'xbzrle', downtimeLimitMs: 10, maxRounds: 8 });
    expect(xbzrle.stats['xbzrle-cache'].overflow).toBeGreaterThan(0);
    expect(xbzrle.rounds).toBe(plain.rounds);
    expect(xbzrle.wireBytes).toBeLessThanOrEqual(plain.wireBytes + 3 * xbzrle.wire.xbzrle.pages);
    // The only saving: pages re-dirtied after an in-pass re-send but not changed since, which
    // XBZRLE finds identical in stop-and-copy while a plain migration sends them again.
    expect(plain.wireBytes - xbzrle.wireBytes).toBe(xbzrle.wire.identicalPages * 4104);
    // The same hot set with sparse changes: far fewer bytes.
    const sparse = run({ workload: workload.replace('bytes=page', 'bytes=16'), codec: 'xbzrle', downtimeLimitMs: 10, maxRounds: 8 });
    expect(sparse.wireBytes).toBeLessThan(plain.wireBytes);
  });

  it('accounts every byte: normal 8+4096, zero 8+1, XBZRLE 8+1+2+n', () => {
    const result = run({ workload: 'hotset:rate=50000,hot=1024,share=0.95,bytes=16', codec: 'xbzrle', downtimeLimitMs: 10, maxRounds: 8 });
    const { normal, zero, xbzrle } = result.wire;
    expect(normal.bytes).toBe(normal.pages * 4104);
    expect(zero.bytes).toBe(zero.pages * 9);
    expect(result.wireBytes).toBe(normal.bytes + zero.bytes + xbzrle.bytes);
    // QEMU's xbzrle `bytes` counts flag + length + data: 8 less per page than the wire.
    expect(result.stats['xbzrle-cache'].bytes).toBe(xbzrle.bytes - 8 * xbzrle.pages + 4096 * result.stats['xbzrle-cache'].overflow);
    expect(xbzrle.pages).toBeGreaterThan(0);
    expect(xbzrle.bytes).toBeLessThan(xbzrle.pages * 11 + xbzrle.pages * 4096);
  });

  it('a sparse hot-set rewrite converges with XBZRLE and not without', () => {
    const options = {
      workload: 'hotset:rate=100000,hot=4096,share=1,bytes=16,content=random',
      ramBytes: 64 * MiB,
      bandwidthBps: GBIT,
      downtimeLimitMs: 30,
      maxRounds: 30,
    };
    const plain = run({ ...options, codec: 'none' });
    const xbzrle = run({ ...options, codec: 'xbzrle', cache: 'qemu', cacheBytes: 64 * MiB });
    expect(plain.converged).toBe(false);
    expect(plain.stopReason).toBe('max-rounds');
    expect(xbzrle.converged).toBe(true);
    expect(xbzrle.downtimeMs).toBeLessThan(30);
    expect(xbzrle.verified).toBe(true);
  });
});

describe('modes, codecs and CPU', () => {
  it('qemu-2011: 2-way cache, delta only in the iterative stage with a third-of-a-page limit', () => {
    const result = run({ workload: 'scenario:pattern=DENSE,rate=20000', codec: 'xbzrle', mode: 'qemu-2011', downtimeLimitMs: 5, maxRounds: 6 });
    expect(result.inputs.cache).toBe('set-assoc:ways=2');
    expect(result.verified).toBe(true);
    const final = result.timeline[result.timeline.length - 1]!;
    expect(final.stage).toBe('stop-and-copy');
    expect(final.pagesXbzrle).toBe(0);
  });

  it('whole-page codecs need no cache and verify', () => {
    const result = run({ workload: 'hotset:rate=20000,content=text', codec: 'lz4', downtimeLimitMs: 10 });
    expect(result.inputs.cache).toBe(null);
    expect(result.wire.compressed.pages).toBeGreaterThan(0);
    expect(result.stats.compression['compression-rate']).toBeGreaterThan(1);
    expect(result.verified).toBe(true);
  });

  it('model CPU: same inputs, same figures; pipelining and encoder threads only shorten the run', () => {
    const options = { workload: 'zipf:skew=0.9,rate=50000,bytes=64', codec: 'xbzrle', downtimeLimitMs: 20, maxRounds: 10 } as const;
    const a = run(options);
    const b = run(options);
    expect(b).toEqual(a);
    const serial = run({ ...options, pipeline: false });
    expect(serial.timeline[0]!.durationMs).toBeGreaterThanOrEqual(a.timeline[0]!.durationMs);
    expect(a.cpu.encodeSeconds).toBeGreaterThan(0);
  });

  it('a CPU-bound encoder: encoder threads and pipelining shorten the passes that encode', () => {
    // xbrle encodes at 250-410 MB/s in the model (10-16 us a page) while a 10 Gbit/s link
    // sends a page in 3.3 us: the passes after the first re-send are CPU-bound.
    const options = {
      workload: 'hotset:rate=200000,hot=2048,share=1,bytes=64,content=random',
      codec: 'xbrle',
      bandwidthBps: 10 * GBIT,
      downtimeLimitMs: 1,
      maxRounds: 6,
    } as const;
    const one = run(options);
    const four = run({ ...options, encoderThreads: 4 });
    const serial = run({ ...options, pipeline: false });
    const encodingPass = (result: typeof one) => result.timeline[2]!;
    expect(encodingPass(one).pagesXbzrle).toBeGreaterThan(300);
    expect(four.totalTimeMs).toBeLessThan(one.totalTimeMs);
    expect(encodingPass(four).durationMs).toBeLessThan(encodingPass(one).durationMs * 0.5);
    expect(encodingPass(serial).durationMs).toBeGreaterThan(encodingPass(one).durationMs);
    for (const result of [one, four, serial]) expect(result.verified).toBe(true);
  });

  it('pages of 8 KiB migrate and verify', () => {
    const result = run({ workload: 'zipf:skew=0.9,rate=20000', pageSize: 8192, codec: 'xbzrle', cacheBytes: 2 * MiB, downtimeLimitMs: 5 });
    expect(result.verified).toBe(true);
    expect(result.wire.normal.bytes).toBe(result.wire.normal.pages * (8 + 8192));
  });

  it('measured CPU mode runs the same path and verifies', () => {
    const result = run({ workload: 'zipf:skew=0.9,rate=20000', codec: 'xbzrle', cpu: 'measured', downtimeLimitMs: 20, maxRounds: 5 });
    expect(result.verified).toBe(true);
    expect(result.cpu.mode).toBe('measured');
  });

  it('auto-converge throttles a guest that dirties faster than the link', () => {
    // 40,000 writes/s of 4 KiB pages is 1.3x a 1 Gbit/s link.
    const options = { workload: 'uniform:rate=40000,bytes=16,content=random', codec: 'none', downtimeLimitMs: 30, maxRounds: 100 } as const;
    const throttled = run({ ...options, autoConverge: true });
    expect(throttled.throttlePercent).toBeGreaterThanOrEqual(20);
    expect(throttled.converged).toBe(true);
    const free = run(options);
    expect(free.converged).toBe(false);
  });
});

describe('destination verification', () => {
  it('a corrupted normal page is detected and named', () => {
    expect(() => run({ workload: 'idle:content=random', codec: 'none', corruptWire: { pageNumber: 1234 } })).toThrow(
      /page 1234/,
    );
  });

  it('a corrupted XBZRLE record is detected (decode error or mismatch) in full and digest modes', () => {
    for (const verify of ['full', 'digest'] as const) {
      let caught: unknown;
      try {
        // Page 0 of the qemu-age-test buffer is re-sent every pass: its 3rd send is a delta.
        run({ workload: 'qemu-age-test:content=random', codec: 'xbzrle', downtimeLimitMs: 1, maxRounds: 6, verify, corruptWire: { pageNumber: 0, send: 3 } });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(MigrationVerificationError);
      expect((caught as MigrationVerificationError).pageNumber).toBe(0);
    }
  });

  it('a corrupted zero-page record is detected', () => {
    expect(() => run({ workload: 'idle:content=zero', codec: 'xbzrle', corruptWire: { pageNumber: 77 }, verify: 'digest' })).toThrow(/page 77/);
  });
});

describe('bad input: one clear line', () => {
  it.each([
    [{ bandwidthBps: 0 }, /bandwidth must be a positive/],
    [{ bandwidthBps: -5 }, /bandwidth must be a positive/],
    [{ cacheBytes: 1000 }, /smaller than one 4096-byte page/],
    [{ cache: 'qemu', cacheBytes: 3 * MiB }, /768 slots; QEMU's direct-mapped cache needs a power of two/],
    [{ mode: 'qemu-1999' as never }, /unknown mode "qemu-1999"; valid modes: qemu, qemu-2011/],
    [{ codec: 'gzip' }, /unknown codec "gzip"/],
    [{ ramBytes: 4097 }, /not a whole number of 4096-byte pages/],
    [{ cache: 'nonsense' }, /unknown cache policy "nonsense"/],
    [{ workload: 'nonsense' }, /nonsense/],
  ])('%o', (options, message) => {
    expect(() => run({ workload: 'idle', codec: 'xbzrle', ...options })).toThrow(message);
  });
});
