// The parts of QEMU's loop the simulator follows beyond the stop rule: cache-size rounding,
// guest-physical placement (collisions in the direct-mapped cache), background dirtying.
import { describe, expect, it } from 'vitest';
import { simulateMigration, type MigrationOptions } from '../../../harness/migration.js';
import { buildPlacement, defaultPlacement, invertPlacement, parsePlacement, slotsUsed } from '../../../harness/migration/placement.js';
import { createWorkload } from '../../../workloads/registry.js';

const MiB = 2 ** 20;
const GBIT = 1e9 / 8;

function run(options: Partial<MigrationOptions> & { workload: string }) {
  return simulateMigration({ ramBytes: 16 * MiB, maxBandwidthBps: 0, cpu: 'model', ...options });
}

describe('xbzrle-cache-size rounding', () => {
  it("a size that is not a power-of-two number of pages is rounded down, as QEMU's cache_init does, and the result says so", () => {
    const result = run({ workload: 'idle', codec: 'xbzrle', cache: 'qemu', cacheBytes: 3 * MiB });
    expect(result.stats['xbzrle-cache']['cache-size']).toBe(2 * MiB);
    expect(result.inputs.cacheBytes).toBe(2 * MiB);
    expect(result.notes).toEqual([
      'cache size 3145728 bytes is not a power-of-two number of 4096-byte pages: rounded down to 512 pages (2097152 bytes), as QEMU\'s cache_init does',
    ]);
    // A part page counts as nothing: 8 MiB + 100 bytes is 2048 pages.
    expect(run({ workload: 'idle', codec: 'xbzrle', cache: 'qemu', cacheBytes: 8 * MiB + 100 }).stats['xbzrle-cache']['cache-size']).toBe(8 * MiB);
    // A power of two is kept, with no note; other policies take any size.
    expect(run({ workload: 'idle', codec: 'xbzrle', cache: 'qemu', cacheBytes: 4 * MiB }).notes).toEqual([]);
    expect(run({ workload: 'idle', codec: 'xbzrle', cache: 'lru', cacheBytes: 3 * MiB }).stats['xbzrle-cache']['cache-size']).toBe(3 * MiB);
  });
});

describe('guest-physical placement', () => {
  it('parses identity, random and runs:N, and refuses anything else in one line', () => {
    expect(parsePlacement('identity').kind).toBe('identity');
    expect(parsePlacement('Random').spec).toBe('random');
    expect(parsePlacement('runs:1').spec).toBe('random');
    expect(parsePlacement('runs:64')).toEqual({ kind: 'runs', run: 64, spec: 'runs:64' });
    expect(() => parsePlacement('runs:0')).toThrow(/run length must be an integer >= 1/);
    expect(() => parsePlacement('buddy')).toThrow(/unknown placement "buddy"; valid: identity, random, runs:N/);
    expect(() => run({ workload: 'idle', placement: 'buddy' })).toThrow(/unknown placement "buddy"/);
  });

  it('is random for guest-program workloads and identity for the others', () => {
    expect(defaultPlacement('qemu-age-test:rate=2').spec).toBe('random');
    expect(defaultPlacement('hotset:rate=20000').spec).toBe('random');
    expect(defaultPlacement('idle').spec).toBe('identity');
    expect(defaultPlacement('trace:/tmp/x.pdtrace').spec).toBe('identity');
    expect(run({ workload: 'hotset:rate=100', codec: 'none' }).inputs.placement).toBe('random');
    expect(run({ workload: 'idle', codec: 'none' }).inputs.placement).toBe('identity');
  });

  it('is a seeded permutation; runs keep N contiguous pages together', () => {
    const random = buildPlacement(parsePlacement('random'), 1000, 7)!;
    expect(Array.from(random).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, index) => index));
    expect(buildPlacement(parsePlacement('random'), 1000, 7)).toEqual(random);
    expect(buildPlacement(parsePlacement('random'), 1000, 8)).not.toEqual(random);
    const inverse = invertPlacement(random);
    for (let page = 0; page < 1000; page++) expect(inverse[random[page]!]).toBe(page);
    // runs:4 over 10 pages: runs {0-3}, {4-7}, {8,9}, each contiguous and aligned where it lands.
    const runs = buildPlacement(parsePlacement('runs:4'), 10, 3)!;
    expect(Array.from(runs).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, index) => index));
    for (const first of [0, 4, 8]) {
      const length = Math.min(4, 10 - first);
      for (let k = 1; k < length; k++) expect(runs[first + k]).toBe(runs[first]! + k);
    }
    expect(buildPlacement(parsePlacement('identity'), 10, 3)).toBe(null);
  });

  it('collisions in a direct-mapped cache: the contiguous buffer maps two pages a slot, the affine hot set none, random about 1 - (7/8)^8', () => {
    // Small example, by hand: 16 pages, 4 slots, pages 0..7 with identity: each slot twice.
    expect(slotsUsed([0, 1, 2, 3, 4, 5, 6, 7], null, 4)).toBe(4);
    // qemu-age-test's 16 MiB buffer (4096 pages) in an 8 MiB cache (2048 slots).
    const buffer = Array.from({ length: 4096 }, (_, page) => page);
    expect(slotsUsed(buffer, null, 2048)).toBe(2048);
    // hotset's affine scatter: 8192 hot pages of 65536 land in 8192 distinct slots.
    const hotset = createWorkload('hotset:hot=8192,share=1', { pageCount: 65536, pageSize: 4096, seed: 1 }) as unknown as { hotPages(): number[] };
    const hot = hotset.hotPages();
    expect(slotsUsed(hot, null, 8192)).toBe(8192);
    // A random placement of 65536 pages: each slot has 8 candidates of which 1/8 are hot, so
    // a slot is used with probability about 1 - (7/8)^8 = 0.656 (5375 of 8192; sd about 43).
    const used = slotsUsed(hot, buildPlacement(parsePlacement('random'), 65536, 1), 8192);
    expect(used).toBeGreaterThan(5375 - 200);
    expect(used).toBeLessThan(5375 + 200);
  });

  it('the cache is keyed by guest-physical page: a run of 4096 pages aligned to the cache behaves as identity, random placement does not', () => {
    const options = {
      workload: 'qemu-age-test:content=random',
      ramBytes: 64 * MiB,
      bandwidthBps: GBIT,
      downtimeLimitMs: 30,
      codec: 'xbzrle',
      cache: 'qemu',
      cacheBytes: 8 * MiB,
      maxRounds: 12,
    } as const;
    const identity = run({ ...options, placement: 'identity' });
    // runs:4096: the buffer is one run that lands at a multiple of 4096 pages, so its slots are
    // the identity's (slot = page mod 2048); only the send order of the other runs differs.
    const aligned = run({ ...options, placement: 'runs:4096' });
    const random = run({ ...options, placement: 'random' });
    const steady = (result: typeof identity) => result.timeline.at(-2)!;
    expect(steady(identity).cacheMisses).toBe(2048);
    expect(steady(aligned).cacheMisses).toBe(2048);
    expect(steady(aligned).pagesXbzrle).toBe(2048);
    // Random: some slots hold 3-4 of the buffer's pages and some none; hits per period are the
    // slots used (about 2048 x (1 - e^-2) = 1771), not 2048.
    const hits = steady(random).pagesXbzrle + steady(random).pagesIdentical;
    expect(hits).toBeLessThan(2048);
    expect(hits).toBeGreaterThan(1500);
    for (const result of [identity, aligned, random]) expect(result.verified).toBe(true);
  });
});

describe("the guest kernel's background dirtying", () => {
  it('is off by default; when on, it dirties only its pool and the destination still verifies', () => {
    // 16 MiB of random pages at 4 MiB/s: about 4 s of pre-copy.
    const base = { workload: 'idle:content=random', codec: 'xbzrle', bandwidthBps: 100e6 / 8, maxBandwidthBps: 4 * MiB } as const;
    const quiet = run(base);
    expect(quiet.stats.ram.normal).toBe(4096);
    expect(quiet.inputs.backgroundDirtyRate).toBe(0);
    // One pool page, 10^6 writes/s (so it is rewritten between any two syncs), and a threshold below one page (0.5 ms x 4 MiB/s): every
    // sync finds that page and nothing else, so the run goes on to the round cap.
    const busy = run({ ...base, backgroundDirtyRate: 1e6, backgroundDirtyPages: 1, downtimeLimitMs: 0.5, maxRounds: 20 });
    expect(busy.verified).toBe(true);
    expect(busy.rounds).toBe(20);
    expect(busy.stopReason).toBe('max-rounds');
    for (const entry of busy.timeline) expect(entry.newlyDirtyPages).toBeLessThanOrEqual(1);
    // The pool is the last page: sent once in the bulk pass and again after each sync that
    // found it (the final sync's find is on the stop-and-copy line).
    const found = busy.timeline.reduce((sum, entry) => sum + entry.newlyDirtyPages, 0);
    expect(found).toBeGreaterThan(0);
    expect(busy.stats.ram.normal + busy.wire.xbzrle.pages + busy.wire.identicalPages).toBe(4096 + found);
    expect(run({ ...base, backgroundDirtyRate: 1e6, backgroundDirtyPages: 1, downtimeLimitMs: 0.5, maxRounds: 20 })).toEqual(busy);
    expect(() => run({ ...base, backgroundDirtyRate: -1 })).toThrow(/background dirty rate must be a number >= 0/);
    expect(() => run({ ...base, backgroundDirtyPages: 0 })).toThrow(/background dirty pages must be an integer from 1/);
  });
});

describe('explicit placement (frames a real guest reported)', () => {
  it('placeAround puts the buffer on its frames and the other pages on the frames left, in order', async () => {
    const { placeAround, explicitPlacement } = await import('../../../harness/migration/placement.js');
    const physical = placeAround(Uint32Array.from([5, 2, 7]), 1, 8);
    // workload pages 1..3 -> frames 5, 2, 7; pages 0, 4, 5, 6, 7 -> free frames 0, 1, 3, 4, 6
    expect([...physical]).toEqual([0, 5, 2, 7, 1, 3, 4, 6]);
    expect(explicitPlacement(physical, 8).spec).toBe('explicit');
    expect(() => explicitPlacement(Uint32Array.from([0, 0]), 2)).toThrow(/page 1 maps to frame 0, which another page already has/);
    expect(() => placeAround(Uint32Array.from([9]), 0, 8)).toThrow(/frame 9 of buffer page 0 is beyond the guest/);
  });

  it('an explicit placement decides the cache collisions: 64 hot pages on frames 16 apart share one slot of a 16-slot cache', async () => {
    const { placeAround } = await import('../../../harness/migration/placement.js');
    const pageCount = 4096;
    // A hot set that keeps the bitmap from draining below a 10 ms threshold at 1 MB/s: every
    // sync finds the 64 pages dirty again and they go through the cache.
    const base = { workload: 'hotset:region=0:64,hot=64,share=1,rate=20000,bytes=16', ramBytes: pageCount * 4096, bandwidthBps: 1e6, maxBandwidthBps: 0, downtimeLimitMs: 10, codec: 'xbzrle', cache: 'qemu', cacheBytes: 16 * 4096, maxTimeMs: 30000 } as const;
    const frames = (step: number) => Uint32Array.from({ length: 64 }, (_, i) => 1024 + i * step);
    const colliding = await simulateMigration({ ...base, placement: placeAround(frames(16), 0, pageCount) });
    const spread = await simulateMigration({ ...base, placement: placeAround(frames(1), 0, pageCount) });
    const misses = (result: typeof spread) => result.stats['xbzrle-cache']['cache-miss'];
    expect(colliding.verified && spread.verified).toBe(true);
    // All 64 pages in slot 0 (one survives per sync) against 4 pages per slot.
    expect(misses(colliding)).toBeGreaterThan(misses(spread));
    expect(colliding.stats['xbzrle-cache'].pages).toBeLessThan(spread.stats['xbzrle-cache'].pages);
  });
});
