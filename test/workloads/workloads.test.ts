import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { lz4 } from '../../codecs/native.js';
import { DirtyBitmap, GuestMemory } from '../../workloads/memory.js';
import { Xoshiro128 } from '../../workloads/prng.js';
import { createWorkload, workloadNames } from '../../workloads/registry.js';
import { getScenario } from '../../workloads/scenarios.js';
import { canonicalOldPages } from '../../workloads/scenarios.js';
import type { Workload } from '../../workloads/workload.js';
import { ZipfSampler } from '../../workloads/zipf-sampler.js';

function digest(memory: GuestMemory): string {
  const hash = createHash('sha256');
  for (const chunk of memory.chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** Runs a workload to `untilMs` in `steps` equal steps; returns memory, dirty bitmap. */
function run(spec: string, pageCount: number, untilMs: number, steps = 1, seed = 7, pageSize = 4096) {
  const workload = createWorkload(spec, { pageCount, pageSize, seed });
  const memory = new GuestMemory(pageCount, pageSize);
  workload.init(memory);
  const dirty = new DirtyBitmap(pageCount);
  for (let step = 1; step <= steps; step++) workload.advance(memory, (untilMs * step) / steps, dirty);
  return { workload, memory, dirty };
}

/** Counts calls, to check that every write is reported. */
class CountingTracker {
  calls = 0;
  pages = new Map<number, number>();
  markDirty(page: number): void {
    this.calls++;
    this.pages.set(page, (this.pages.get(page) ?? 0) + 1);
  }
}

const ALL_SPECS = [
  'seed-loadgen:rate=1000',
  'scenario:pattern=DENSE,rate=5000',
  'uniform:rate=20000,bytes=8',
  'uniform:rate=2000,bytes=page',
  'hotset:rate=20000,hot=64',
  'zipf:skew=0.9,rate=20000',
  'scan:rate=5000',
  'qemu-age-test:rate=50,mib=1',
  'idle:content=mixed',
];

describe('xoshiro128**', () => {
  it('matches the reference outputs for state (1, 2, 3, 4)', () => {
    const rng = new Xoshiro128(0);
    rng.state.set([1, 2, 3, 4]);
    const outputs = Array.from({ length: 6 }, () => rng.nextU32());
    expect(outputs).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
    const words = new Int32Array(6);
    const bulk = new Xoshiro128(0);
    bulk.state.set([1, 2, 3, 4]);
    bulk.fillWords(words);
    expect([...new Uint32Array(words.buffer)]).toEqual(outputs);
  });

  it('nextBelow stays in range and covers it', () => {
    const rng = new Xoshiro128(3);
    const seen = new Uint8Array(10);
    for (let i = 0; i < 1000; i++) {
      const value = rng.nextBelow(10);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(10);
      seen[value] = 1;
    }
    expect(seen.every((bit) => bit === 1)).toBe(true);
    for (let i = 0; i < 1000; i++) expect(rng.nextBelow(3_000_000)).toBeLessThan(3_000_000);
  });
});

describe('registry and validation', () => {
  it('lists every generator', () => {
    expect(workloadNames()).toEqual(['seed-loadgen', 'scenario', 'uniform', 'hotset', 'zipf', 'scan', 'qemu-age-test', 'idle', 'trace']);
  });

  it.each([
    ['nosuch:rate=1', /unknown workload "nosuch"; valid: seed-loadgen, scenario, uniform, hotset, zipf, scan, qemu-age-test, idle, trace/],
    ['uniform:rate=-5', /workload "uniform": rate=-5 must be >= 0/],
    ['zipf:skew=-0.1', /workload "zipf": skew=-0.1 must be >= 0/],
    ['hotset:hot=5000', /workload "hotset": hot=5000 pages is larger than the memory \(1024 pages\)/],
    ['hotset:hot=100,region=0:50', /hot=100 pages is larger than the region \(50 pages\)/],
    ['uniform:rate=10,colour=blue', /unknown parameter "colour"; valid: rate, bytes, run, region, content/],
    ['uniform:rate=fast', /rate=fast is not a number/],
    ['uniform:bytes=5000', /bytes=5000 must be <= 4096/],
    ['idle:content=purple', /content=purple is not one of zero, random, text, mixed, splitmix/],
    ['idle:content=mixed,zero=0.7,text=0.5', /must not exceed 1/],
    ['idle:content=zero,zero=0.5', /apply only to content=mixed/],
    ['scenario:pattern=HUGE', /unknown scenario "HUGE"/],
    ['qemu-age-test:mib=16', /mib=16 needs 4096 pages, but the memory has 1024/],
    ['uniform:region=1000:100', /outside the guest's 1024 pages/],
    ['uniform:region=abc', /must be START:COUNT/],
    ['uniform:rate=1,rate=2', /given twice/],
    ['zipf:0.9', /expected key=value parameters, found "0.9"/],
    ['trace:/nonexistent/file.pdt', /cannot open trace \/nonexistent\/file.pdt: ENOENT/],
    ['', /empty workload spec/],
    ['zipf:rate=2000 +', /part 2 of the composition is empty \(a "\+" with no workload after it\)/],
    ['zipf + + uniform', /part 2 of the composition is empty/],
  ])('rejects %s with one clear line', (spec, message) => {
    let error: unknown;
    try {
      createWorkload(spec, { pageCount: 1024 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('normalises the spec with defaults and reports the seed', () => {
    const workload = createWorkload('zipf:skew=0.9,rate=20k', { pageCount: 1000, seed: 42 });
    expect(workload.spec).toBe('zipf:content=mixed,zero=0.25,text=0.5,skew=0.9,rate=20000,bytes=16,run=4,scatter=true');
    expect(workload.seed).toBe(42);
    expect(workload.describe()).toMatchObject({ workload: 'zipf', skew: 0.9, rate: 20000, seed: 42 });
    expect(createWorkload('hotset:hot=10%', { pageCount: 1000 }).describe()).toMatchObject({ hot: 100 });
  });
});

describe('determinism', () => {
  it.each(ALL_SPECS)('%s: same seed, same bytes; another seed, other bytes', (spec) => {
    const first = run(spec, 1024, 300, 1, 11);
    const again = run(spec, 1024, 300, 1, 11);
    expect(digest(again.memory)).toBe(digest(first.memory));
    expect([...again.dirty.bits]).toEqual([...first.dirty.bits]);
    if (!spec.startsWith('seed-loadgen') && !spec.startsWith('qemu-age-test')) {
      // (those two start from zero pages and write fixed bytes: the seed does not matter)
      expect(digest(run(spec, 1024, 300, 1, 12).memory)).not.toBe(digest(first.memory));
    }
  });

  it.each(ALL_SPECS)('%s: bytes do not depend on the step size of advance()', (spec) => {
    const oneStep = run(spec, 1024, 200, 1);
    const manySteps = run(spec, 1024, 200, 997);
    expect(digest(manySteps.memory)).toBe(digest(oneStep.memory));
    expect([...manySteps.dirty.bits]).toEqual([...oneStep.dirty.bits]);
  });

  it('init() restarts the workload from the beginning', () => {
    const workload = createWorkload('zipf:rate=10000', { pageCount: 512, seed: 5 });
    const memory = new GuestMemory(512);
    workload.init(memory);
    workload.advance(memory, 100, new DirtyBitmap(512));
    const afterFirst = digest(memory);
    workload.init(memory);
    workload.advance(memory, 100, new DirtyBitmap(512));
    expect(digest(memory)).toBe(afterFirst);
  });

  it('advance with untilMs not after the current time does nothing', () => {
    const workload = createWorkload('uniform:rate=1000', { pageCount: 64 });
    const memory = new GuestMemory(64);
    workload.init(memory);
    const tracker = new CountingTracker();
    workload.advance(memory, 10, tracker);
    expect(tracker.calls).toBe(10);
    workload.advance(memory, 10, tracker);
    workload.advance(memory, 5, tracker);
    expect(tracker.calls).toBe(10);
    workload.advance(memory, 10.5, tracker);
    expect(tracker.calls).toBe(10);
    workload.advance(memory, 11, tracker);
    expect(tracker.calls).toBe(11);
  });
});

describe('generator write patterns', () => {
  it('seed-loadgen: byte 1234+i of page i grows by i per pass, nothing else changes', () => {
    const passes = 300;
    const { memory, dirty } = run('seed-loadgen:rate=1000', 128, passes, 37);
    for (let page = 0; page < 128; page++) {
      const bytes = memory.page(page);
      for (let offset = 0; offset < 4096; offset++) {
        const expected = page < 64 && offset === 1234 + page ? (page * passes) % 256 : 0;
        if (bytes[offset] !== expected) throw new Error(`page ${page} byte ${offset}: ${bytes[offset]} != ${expected}`);
      }
    }
    // page 0 is written (+0): dirty, unchanged; pages 64.. are outside the buffer
    expect(dirty.count).toBe(64);
    expect(dirty.isDirty(0)).toBe(true);
    expect(dirty.isDirty(64)).toBe(false);
  });

  it('seed-loadgen: every pass reports each of its 64 pages', () => {
    const workload = createWorkload('seed-loadgen:rate=100', { pageCount: 64 });
    const memory = new GuestMemory(64);
    workload.init(memory);
    const tracker = new CountingTracker();
    for (let ms = 10; ms <= 1000; ms += 10) workload.advance(memory, ms, tracker);
    expect(tracker.calls).toBe(100 * 64);
  });

  it('qemu-age-test: 16 MiB buffer, bytes spaced 1024 apart, +1 per loop', () => {
    const { memory, dirty } = run('qemu-age-test:rate=10', 4096 + 8, 1000, 3);
    expect(dirty.count).toBe(4096);
    for (const page of [0, 1, 2047, 4095]) {
      const bytes = memory.page(page);
      for (let offset = 0; offset < 4096; offset++) expect(bytes[offset]).toBe(offset % 1024 === 0 ? 10 : 0);
    }
    expect(memory.page(4096).every((byte) => byte === 0)).toBe(true);
  });

  it('scenario: consecutive versions of a page differ exactly in the step/len bytes', () => {
    const workload = createWorkload('scenario:pattern=MEDIUM,rate=1000,pages=4', { pageCount: 16, seed: 3 });
    const memory = new GuestMemory(16);
    workload.init(memory);
    const before = memory.page(0).slice();
    const tracker = new CountingTracker();
    workload.advance(memory, 1, tracker); // one event: page 0
    expect([...tracker.pages.keys()]).toEqual([0]);
    const scenario = getScenario('MEDIUM');
    let changed = 0;
    for (let offset = 0; offset < 4096; offset++) {
      const inPattern = offset % scenario.step < scenario.len;
      const expected = inPattern ? (before[offset]! + 1) & 0xff : before[offset];
      expect(memory.page(0)[offset]).toBe(expected);
      if (inPattern) changed++;
    }
    expect(changed).toBe(6 * 33 - 0); // starts 0,701,...,3505: six runs of 33
    workload.advance(memory, 9, tracker); // 9 events in all, round robin: 0,1,2,3,0,1,2,3,0
    expect([...tracker.pages.entries()]).toEqual([
      [0, 3],
      [1, 2],
      [2, 2],
      [3, 2],
    ]);
  });

  it('content=splitmix with seed 20110706 gives the canonical old pages', () => {
    const workload = createWorkload('idle:content=splitmix', { pageCount: 8, seed: 20110706 });
    const memory = new GuestMemory(8);
    workload.init(memory);
    expect(Buffer.compare(memory.chunks[0]!, canonicalOldPages(8))).toBe(0);
  });

  it('uniform: rate x time writes, each changing at most `bytes` bytes', () => {
    const workload = createWorkload('uniform:rate=1000,bytes=4,content=zero', { pageCount: 4096, seed: 9 });
    const memory = new GuestMemory(4096);
    workload.init(memory);
    const tracker = new CountingTracker();
    workload.advance(memory, 500, tracker);
    expect(tracker.calls).toBe(500);
    let nonZero = 0;
    for (let page = 0; page < 4096; page++) {
      const count = memory.page(page).reduce((sum, byte) => sum + (byte !== 0 ? 1 : 0), 0);
      const writes = tracker.pages.get(page) ?? 0;
      expect(count).toBeLessThanOrEqual(writes * 4);
      if (writes > 0) expect(count).toBeGreaterThan(0);
      nonZero += count;
    }
    expect(nonZero).toBeGreaterThan(1900);
  });

  it('sparse writes change `bytes` bytes in runs of `run` consecutive bytes', () => {
    const workload = createWorkload('uniform:rate=1000,bytes=12,run=4,content=zero', { pageCount: 1 << 16, seed: 5 });
    const memory = new GuestMemory(1 << 16);
    workload.init(memory);
    const tracker = new CountingTracker();
    workload.advance(memory, 200, tracker);
    let checked = 0;
    for (const [page, writes] of tracker.pages) {
      if (writes !== 1) continue;
      const bytes = memory.page(page);
      const changed = [...bytes.keys()].filter((offset) => bytes[offset] !== 0);
      if (changed.length !== 12) continue; // runs overlapping: rare
      // three runs of four consecutive bytes
      let runs = 0;
      for (let i = 0; i < changed.length; i++) if (i === 0 || changed[i] !== changed[i - 1]! + 1) runs++;
      expect(runs).toBeLessThanOrEqual(3);
      expect(changed.length % 4).toBe(0);
      checked++;
    }
    expect(checked).toBeGreaterThan(190);
  });

  it('uniform bytes=page and scan rewrite whole pages (deltas do not help)', () => {
    for (const spec of ['uniform:rate=1000,bytes=page,content=zero', 'scan:rate=1000,content=zero']) {
      const { memory, dirty } = run(spec, 256, 100, 1, 4);
      expect(dirty.count).toBeGreaterThan(80);
      for (let page = 0; page < 256; page++) {
        if (!dirty.isDirty(page)) continue;
        const zeros = memory.page(page).reduce((sum, byte) => sum + (byte === 0 ? 1 : 0), 0);
        expect(zeros).toBeLessThan(64); // random bytes: about 16 of 4096 are zero
      }
    }
  });

  it('scan: rewrites the region sequentially and wraps around', () => {
    const workload = createWorkload('scan:rate=1000,region=10:20', { pageCount: 64 });
    const memory = new GuestMemory(64);
    workload.init(memory);
    const order: number[] = [];
    workload.advance(memory, 45, { markDirty: (page: number) => order.push(page) });
    expect(order).toEqual([...Array.from({ length: 20 }, (_, i) => 10 + i), ...Array.from({ length: 20 }, (_, i) => 10 + i), 10, 11, 12, 13, 14]);
  });

  it('hotset: about `share` of writes go to the hot set', () => {
    const workload = createWorkload('hotset:rate=100000,hot=100,share=0.8', { pageCount: 10000, seed: 2 }) as Workload & { hotPages(): number[] };
    const memory = new GuestMemory(10000);
    workload.init(memory);
    const tracker = new CountingTracker();
    workload.advance(memory, 1000, tracker);
    const hot = new Set(workload.hotPages());
    expect(hot.size).toBe(100);
    let hotWrites = 0;
    for (const [page, count] of tracker.pages) if (hot.has(page)) hotWrites += count;
    // 0.8 directly + 0.2 x 100/10000 by the uniform part
    expect(hotWrites / tracker.calls).toBeGreaterThan(0.795);
    expect(hotWrites / tracker.calls).toBeLessThan(0.81);
    // hot pages are scattered, not one block
    const sorted = [...hot].sort((a, b) => a - b);
    expect(sorted[99]! - sorted[0]!).toBeGreaterThan(5000);
  });

  it('zipf: rank frequencies follow 1/k^s (sampler against the exact pmf)', () => {
    for (const skew of [0, 0.5, 1, 1.5]) {
      const n = 20;
      const sampler = new ZipfSampler(n, skew);
      const rng = new Xoshiro128(skew * 10 + 1);
      const counts = new Float64Array(n + 1);
      const draws = 200_000;
      for (let i = 0; i < draws; i++) counts[sampler.sample(rng)]++;
      let norm = 0;
      for (let k = 1; k <= n; k++) norm += 1 / k ** skew;
      for (const k of [1, 2, 5, 20]) {
        const expected = (1 / k ** skew / norm) * draws;
        expect(Math.abs(counts[k]! - expected)).toBeLessThan(5 * Math.sqrt(expected) + 1);
      }
    }
    // large n, O(1) memory: all ranks in range
    const big = new ZipfSampler(1 << 30, 0.99);
    const rng = new Xoshiro128(1);
    for (let i = 0; i < 10000; i++) {
      const rank = big.sample(rng);
      expect(rank).toBeGreaterThanOrEqual(1);
      expect(rank).toBeLessThanOrEqual(1 << 30);
    }
  });

  it('zipf: the most written page is rank 1', () => {
    const workload = createWorkload('zipf:skew=1.2,rate=50000', { pageCount: 5000, seed: 8 }) as Workload & { pageOfRank(rank: number): number };
    const memory = new GuestMemory(5000);
    workload.init(memory);
    const tracker = new CountingTracker();
    workload.advance(memory, 1000, tracker);
    const top = [...tracker.pages.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    expect(top).toBe(workload.pageOfRank(1));
  });

  it('idle writes nothing; initial content mix matches the fractions', () => {
    const { memory, dirty } = run('idle:content=mixed,zero=0.3,text=0.4', 4000, 1000);
    expect(dirty.count).toBe(0);
    let zero = 0;
    let text = 0;
    let random = 0;
    const compressed = new Uint8Array(lz4.encodeBound(4096));
    for (let page = 0; page < 4000; page++) {
      const bytes = memory.page(page);
      if (bytes.every((byte) => byte === 0)) zero++;
      else if (bytes.every((byte) => byte === 10 || (byte >= 32 && byte < 127))) {
        text++;
        const size = lz4.encodeBlock(bytes, compressed);
        expect(size).toBeGreaterThan(0);
        expect(size).toBeLessThan(3000); // text-like pages compress
      } else random++;
    }
    expect(zero / 4000).toBeCloseTo(0.3, 1);
    expect(text / 4000).toBeCloseTo(0.4, 1);
    expect(random / 4000).toBeCloseTo(0.3, 1);
  });
});

describe('composition', () => {
  it('runs generators on disjoint regions, each only in its own region', () => {
    const spec = 'seed-loadgen:rate=100,region=0:64 + scan:rate=1000,region=100:50,content=zero + idle:content=zero,region=64:36';
    const { workload, memory, dirty } = run(spec, 200, 100, 7);
    expect(workload.spec.split(' + ')).toHaveLength(3);
    for (let page = 0; page < 200; page++) {
      const expectedDirty = page < 64 || (page >= 100 && page < 150);
      expect(dirty.isDirty(page)).toBe(expectedDirty);
    }
    expect(memory.page(5)[1234 + 5]).toBe((5 * 10) % 256);
    expect(memory.page(150).every((byte) => byte === 0)).toBe(true);
    expect(workload.describe()).toMatchObject({ workload: 'composite', parts: 3, '0.workload': 'seed-loadgen', '1.workload': 'scan' });
  });

  it('overlapping regions: both generators write, later content wins at init', () => {
    const { memory, dirty } = run('idle:content=random + qemu-age-test:mib=0.25,rate=10,content=zero,region=0:64', 128, 1000);
    expect(dirty.count).toBe(64);
    expect(memory.page(0)[0]).toBe(10);
    expect(memory.page(100).some((byte) => byte !== 0)).toBe(true);
  });
});
