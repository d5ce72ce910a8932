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
  it('random content: total time = pages x (8 + 4096) / bandwidth + switchover', () => {
    for (const codec of ['none', 'xbzrle', 'xor-lz4']) {
      const pages = 4096;
      const result = run({ workload: 'idle:content=random', ramBytes: pages * 4096, codec, bandwidthBps: GBIT });
      // The link never idles: the stop-and-copy pages queue behind the pre-copy ones.
      expect(result.totalTimeMs).toBeCloseTo((pages * (8 + 4096)) / (GBIT / 1000) + 10, 9);
      expect(result.inputs.switchoverMs).toBe(10);
      expect(result.converged).toBe(true);
      expect(result.wireBytes).toBe(pages * 4104);
      expect(result.stats.ram['precopy-bytes'] + result.stats.ram['downtime-bytes']).toBe(pages * 4104);
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
    // 37 KB go in 0.3 ms, before the first 100 ms bandwidth estimate: the bitmap empties, the
    // guest stops without a pre-copy sync (setup sync + final sync) and only the floor remains.
    expect(result.totalTimeMs).toBeCloseTo((pages * 9) / (GBIT / 1000) + 10, 9);
    // Downtime: the floor plus the 32 records still in flight (the pipeline) when the sender stopped.
    expect(result.downtimeMs).toBeCloseTo(10 + (32 * 9) / (GBIT / 1000), 9);
    expect(result.rounds).toBe(0);
    expect(result.stats.ram['dirty-sync-count']).toBe(2);
  });

  it('the switchover cost is the floor of the downtime and adds to the total time', () => {
    // Serial sending (no pipeline): nothing is in flight when the guest stops.
    const zero = run({ workload: 'idle:content=zero', codec: 'none', switchoverMs: 25, pipeline: false });
    expect(zero.downtimeMs).toBeCloseTo(25, 9);
    const random = run({ workload: 'idle:content=random', codec: 'none', switchoverMs: 25 });
    expect(random.totalTimeMs).toBeCloseTo((4096 * 4104) / (GBIT / 1000) + 25, 9);
    expect(random.downtimeMs).toBeGreaterThanOrEqual(25 + random.stats.ram['downtime-bytes'] / (GBIT / 1000) - 1e-9);
    const none = run({ workload: 'idle:content=zero', codec: 'none', switchoverMs: 0, pipeline: false });
    expect(none.downtimeMs).toBe(0);
  });

  it("SimGrid's check: a 1.25 GiB idle guest over a 1.25 GiB/s link, payload only, no switchover cost, takes 1.0 s", () => {
    const result = simulateMigration({
      workload: 'idle:content=random',
      ramBytes: 1.25 * GiB,
      bandwidthBps: 1.25 * GiB,
      maxBandwidthBps: 0,
      wireHeaders: false,
      codec: 'none',
      switchoverMs: 0,
      verify: 'digest',
    });
    expect(result.totalTimeMs).toBe(1000);
    expect(result.verification).toBe('digest');
  });

  it("QEMU's max-bandwidth: pre-copy windows of the quota, the stop check mid-pass, and an unlimited stop-and-copy", () => {
    const pages = 4096;
    const capBps = 32 * MiB; // quota 3355443.2 bytes per 100 ms window
    const result = run({ workload: 'idle:content=random', ramBytes: pages * 4096, codec: 'none', bandwidthBps: GBIT, maxBandwidthBps: capBps });
    // A window is closed once more than the quota went in: 818 pages (818 x 4104 > 3355443.2 > 817 x 4104).
    const perWindow = 818;
    // Estimate after each window: 818 x 4104 bytes / 100 ms; threshold = that x 300 ms.
    const threshold = ((perWindow * 4104) / 100) * 300;
    expect(threshold).toBe(10071216);
    // Marked pages x 4096 after windows 1, 2, 3: 3278 and 2460 pages are above it, 1642 below;
    // so the stop check at t = 300 ms syncs (the bulk pass is not over) and stops.
    expect(2460 * 4096).toBeGreaterThan(threshold);
    expect(1642 * 4096).toBeLessThan(threshold);
    expect(result.rounds).toBe(1);
    expect(result.passes).toBe(0);
    expect(result.stats.ram['dirty-sync-count']).toBe(3);
    expect(result.timeline[0]!.thresholdBytes).toBe(threshold);
    expect(result.timeline[0]!.dirtyPagesAtSync).toBe(1642);
    expect(result.stats.ram['precopy-bytes']).toBe(3 * perWindow * 4104);
    expect(result.stats.ram['downtime-bytes']).toBe(1642 * 4104);
    // The rest goes at link speed, not at 32 MiB/s (which would take 200 ms).
    expect(result.downtimeMs).toBeCloseTo((1642 * 4104) / (GBIT / 1000) + 10, 6);
    expect(result.totalTimeMs).toBeCloseTo(300 + (1642 * 4104) / (GBIT / 1000) + 10, 6);
    // pages-per-second: 818 pages in the last 100 ms window.
    expect(result.stats.ram['pages-per-second']).toBeCloseTo(8180, 6);
    expect(result.stats['setup-time']).toBe(0);
    expect(result.stats.ram.mbps).toBeCloseTo((pages * 4104 * 8) / result.totalTimeMs / 1000, 9);
  });

  it('setup time delays everything and is reported as setup-time', () => {
    const plain = run({ workload: 'idle:content=random', codec: 'none' });
    const setup = run({ workload: 'idle:content=random', codec: 'none', setupMs: 40 });
    expect(setup.stats['setup-time']).toBe(40);
    expect(setup.totalTimeMs).toBeCloseTo(plain.totalTimeMs + 40, 9);
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
      // The model has no switchover cost and nothing in flight when the guest stops.
      switchoverMs: 0,
      pipeline: false,
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
      // The experiment's buffer is contiguous in guest-physical memory: two pages a slot.
      placement: 'identity',
    });
  }
  it('direct-mapped without the age rule misses nearly always; with it about half the time', () => {
    const noAge = ageRun('qemu-noage');
    const withAge = ageRun('qemu');
    expect(noAge.wholeRun.cacheMissRatio).toBeGreaterThan(0.95);
    expect(withAge.wholeRun.cacheMissRatio).toBeGreaterThan(0.45);
    expect(withAge.wholeRun.cacheMissRatio).toBeLessThan(0.6);
    // A steady-state sync period with the rule: half the hot set hits (2048 of 4096 pages).
    const steady = withAge.timeline[withAge.timeline.length - 2]!;
    expect(steady.cacheMisses).toBe(2048);
    expect(steady.pagesXbzrle).toBe(2048);
    expect(withAge.wireBytes).toBeLessThan(noAge.wireBytes);
  });

  it("QEMU's period rates: computed at the first sync more than 1 s after the last computation", () => {
    const result = run({
      workload: 'qemu-age-test:content=random',
      ramBytes: 64 * MiB,
      bandwidthBps: GBIT,
      downtimeLimitMs: 30,
      codec: 'xbzrle',
      cacheBytes: 8 * MiB,
      maxRounds: 40,
      placement: 'identity',
    });
    // Rebuild the rate periods from the timeline: they close at the first sync more than
    // 1000 ms after the previous close (the setup sync at 0 opens the first).
    const syncs = result.timeline.filter((entry) => entry.stage !== 'stop-and-copy');
    let openedMs = 0;
    let newly = 0;
    let misses = 0;
    let handled = 0;
    let hits = 0;
    const periods: { ms: number; newly: number; misses: number; handled: number; hits: number }[] = [];
    for (const entry of syncs) {
      newly += entry.newlyDirtyPages;
      misses += entry.cacheMisses;
      handled += entry.pagesNormal + entry.pagesZero + entry.pagesXbzrle;
      hits += entry.pagesXbzrle + entry.pagesIdentical;
      const endMs = entry.startMs + entry.durationMs;
      if (endMs > openedMs + 1000) {
        periods.push({ ms: endMs - openedMs, newly, misses, handled, hits });
        openedMs = endMs;
        newly = misses = handled = hits = 0;
      }
    }
    expect(periods.length).toBeGreaterThanOrEqual(2);
    const last = periods.at(-1)!;
    const cache = result.stats['xbzrle-cache'];
    // The last period is all steady state: 2048 misses of every 4096 pages handled.
    expect(cache['cache-miss-rate']).toBe(last.misses / last.handled);
    expect(cache['cache-miss-rate']).toBe(0.5);
    // Every hit is a 4-byte-per-page delta: 3 + 15 bytes for 4096.
    expect(cache['encoding-rate']).toBeCloseTo(4096 / 18, 9);
    expect(result.stats.ram['dirty-pages-rate']).toBe(Math.floor((last.newly * 1000) / last.ms));
    // The whole run counts the bulk pass too (no misses then).
    expect(result.wholeRun.cacheMissRate).toBeLessThan(0.5);
  });
});

describe('reproduce qemu-age-rule', () => {
  it('gives the published shape: ~100% vs ~50% misses, 26 wire bytes per XBZRLE page, a shorter migration with the rule', () => {
    const { tables, pairs } = reproduceQemuAgeRule({ ramBytes: 64 * MiB, loopRates: [10] });
    expect(tables[0]!.rows).toHaveLength(2);
    const { withoutRule, withRule } = pairs[0]!;
    expect(lastPeriodMissRate(withoutRule)).toBe(1);
    // With the rule one page of each slot's pair hits: 2048 hits a sync period. The sync comes
    // mid-pass (when 915 pages, 30 ms of the link, are left), so a period sends fewer than the
    // 4096 pages of the buffer and the misses are fewer than the hits.
    const last = withRule.timeline.filter((entry) => entry.stage === 'iterative').at(-1)!;
    expect(last.pagesXbzrle + last.pagesIdentical).toBe(2048);
    expect(lastPeriodMissRate(withRule)).toBe(last.cacheMisses / (last.cacheMisses + 2048));
    expect(lastPeriodMissRate(withRule)).toBeGreaterThan(0.4);
    expect(lastPeriodMissRate(withRule)).toBeLessThan(0.5);
    expect(withRule.wire.xbzrle.bytes / withRule.wire.xbzrle.pages).toBe(26);
    expect(withRule.totalTimeMs).toBeLessThan(withoutRule.totalTimeMs);
    expect(tables[0]!.notes!.join('\n')).toMatch(/without the rule near 99%: holds; .* the rule shortens the migration: holds/);
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

describe('the timeline adds up to the totals', () => {
  const sums = (result: ReturnType<typeof simulateMigration>) => ({
    wireBytes: result.timeline.reduce((sum, entry) => sum + entry.wireBytes, 0),
    normal: result.timeline.reduce((sum, entry) => sum + entry.pagesNormal, 0),
    zero: result.timeline.reduce((sum, entry) => sum + entry.pagesZero, 0),
  });
  it.each([
    // A zero downtime limit: no pre-copy sync ever, the bulk pass was missing from the timeline.
    ['--downtime 0s', { ramBytes: 16 * MiB, downtimeLimitMs: 0 }],
    // A guest below the threshold: sent before the first estimate, the stop ends the bulk period.
    ['--ram 1M', { ramBytes: MiB }],
    // max-time stops inside a pass, after the last sync.
    ['--max-time 1s', { ramBytes: 64 * MiB, bandwidthBps: 12.5e6, maxBandwidthBps: 0, maxTimeMs: 1000 }],
  ])('%s: every period that sent pages is a line; their bytes and pages are the totals', (_, options) => {
    const result = simulateMigration({ workload: 'zipf:rate=2000', ...options });
    expect(sums(result)).toEqual({ wireBytes: result.wireBytes, normal: result.wire.normal.pages, zero: result.wire.zero.pages });
    expect(result.timeline.at(-1)!.stage).toBe('stop-and-copy');
    expect(result.timeline.map((entry) => entry.round)).toEqual(result.timeline.map((_, index) => index + 1));
  });
  it('--downtime 0s: the bulk pass is its own line before stop-and-copy', () => {
    const result = simulateMigration({ workload: 'zipf:rate=2000', ramBytes: 16 * MiB, downtimeLimitMs: 0 });
    expect(result.passes).toBe(1);
    expect(result.timeline.map((entry) => entry.stage)).toEqual(['bulk', 'stop-and-copy']);
    expect(result.timeline[0]!.wireBytes).toBeGreaterThan(12e6);
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
    expect(serial.totalTimeMs).toBeGreaterThanOrEqual(a.totalTimeMs);
    expect(a.cpu.encodeSeconds).toBeGreaterThan(0);
  });

  it('a CPU-bound encoder: encoder threads and pipelining shorten the passes that encode', () => {
    // xbrle encodes at 250-410 MB/s in the model (10-16 us a page) while a 10 Gbit/s link
    // sends a page in 3.3 us: the passes after the first re-send are CPU-bound.
    // 256 MiB so that the bulk pass (215 ms) outlasts QEMU's first 100 ms bandwidth estimate.
    const options = {
      workload: 'hotset:rate=200000,hot=2048,share=1,bytes=64,content=random',
      ramBytes: 256 * MiB,
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
    [{ mode: 'qemu-1999' as never }, /unknown mode "qemu-1999"; valid modes: qemu, qemu-2011/],
    [{ codec: 'gzip' }, /unknown codec "gzip"/],
    [{ ramBytes: 4097 }, /not a whole number of 4096-byte pages/],
    [{ cache: 'nonsense' }, /unknown cache policy "nonsense"/],
    [{ workload: 'nonsense' }, /nonsense/],
  ])('%o', (options, message) => {
    expect(() => run({ workload: 'idle', codec: 'xbzrle', ...options })).toThrow(message);
  });
});
