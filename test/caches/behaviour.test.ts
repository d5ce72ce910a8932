/**
 * Differential tests between policies, the edge cases of cache-policies.md (cold start, ghosts,
 * LIRS pruning, 2Q's non-promotion), QEMU's age rule on its commit's workload shape, the API
 * contract (slab, views, refusals, errors) and the numeric key index.
 */
import fc from 'fast-check';
import { isKernelVisible } from '../../codecs/page-memory.js';
import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../caches/key-index.js';
import { cacheNames, createCache, simulateCache } from '../../caches/registry.js';

function pattern(spec: string, capacity: number, keys: number[]): string {
  const cache = createCache(spec, { capacityPages: capacity, storeData: false, trace: keys });
  return keys.map((key) => (cache.lookup(key) >= 0 ? 'h' : (cache.insert(key), 'M'))).join('');
}

const traces = (maxKey: number, maxLength = 200) => fc.array(fc.integer({ min: 0, max: maxKey }), { maxLength });

describe('differential', () => {
  it('set-assoc with one set equals lru (both set layouts)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), traces(80), (capacity, keys) => {
        expect(pattern(`set-assoc:ways=${capacity}`, capacity, keys)).toBe(pattern('lru', capacity, keys));
      }),
      { numRuns: 300 },
    );
  });

  it('qemu-noage equals set-assoc:ways=1 (same index function), keys past 2^32 included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), traces(100), fc.boolean(), (log2, raw, wide) => {
        const keys = raw.map((key) => (wide ? key * 2 ** 29 : key));
        expect(pattern('qemu-noage', 2 ** log2, keys)).toBe(pattern('set-assoc:ways=1', 2 ** log2, keys));
      }),
      { numRuns: 300 },
    );
  });

  it('opt never misses more than any demand-paging policy; opt:bypass=yes never more than qemu or opt', () => {
    const demand = ['lru', 'fifo', 'clock', 'sieve', '2q', 'arc', 'arc:step=int', 's3fifo', 'lirs', 'lirs:nonres=none,dup=skip', 'qemu-noage', 'set-assoc:ways=2'];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), traces(40, 300), (log2Half, keys) => {
        const capacity = 2 ** log2Half; // a power of two, >= 2 (lirs), even (set-assoc:ways=2)
        const best = simulateCache('opt', capacity, keys).misses;
        for (const spec of demand) expect(best).toBeLessThanOrEqual(simulateCache(spec, capacity, keys).misses);
        const bypass = simulateCache('opt:bypass=yes', capacity, keys).misses;
        expect(bypass).toBeLessThanOrEqual(best);
        for (const perGeneration of [0, 1, 5]) {
          expect(bypass).toBeLessThanOrEqual(simulateCache('qemu', capacity, keys, { requestsPerGeneration: perGeneration }).misses);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('demand-paging opt can lose to a refusing cache (why the bypass variant exists)', () => {
    // c=1: a x a. qemu keeps a (x refused); demand paging must let x in.
    expect(simulateCache('qemu', 1, [1, 2, 1]).misses).toBe(2);
    expect(simulateCache('opt', 1, [1, 2, 1]).misses).toBe(3);
    expect(simulateCache('opt:bypass=yes', 1, [1, 2, 1]).misses).toBe(2);
  });
});

describe('edge cases', () => {
  const specsFor = (capacity: number) => cacheNames().filter((name) => !((name === 'qemu' || name === 'qemu-noage') && (capacity & (capacity - 1)) !== 0));

  it('cold start: no policy evicts before it holds c pages, and then holds all of them', () => {
    for (const capacity of [2, 5, 16, 100]) {
      const keys = Array.from({ length: capacity }, (_, i) => 1000 + 7 * i);
      for (const spec of specsFor(capacity)) {
        if (spec.startsWith('set-assoc') || spec.startsWith('qemu')) continue; // set conflicts are not "full"
        const trace = [...keys, ...keys];
        const cache = createCache(spec, { capacityPages: capacity, storeData: false, trace });
        for (const key of keys) {
          expect(cache.lookup(key)).toBe(-1);
          expect(cache.insert(key)).toBeGreaterThanOrEqual(0);
        }
        expect(cache.stats().evictions, spec).toBe(0);
        const slots = new Set<number>();
        for (const key of keys) {
          const slot = cache.lookup(key);
          expect(slot, `${spec} c=${capacity}`).toBeGreaterThanOrEqual(0);
          slots.add(slot);
        }
        expect(slots.size).toBe(capacity); // every resident page has its own slot
      }
    }
  });

  it('cold start of a direct-mapped cache: distinct slots fill without eviction', () => {
    for (const spec of ['qemu', 'qemu-noage', 'set-assoc:ways=1']) {
      const cache = createCache(spec, { capacityPages: 8, storeData: false });
      for (let page = 0; page < 8; page++) expect(cache.insert(page)).toBe(page);
      expect(cache.stats().evictions).toBe(0);
    }
  });

  it('2q: a hit in A1in does not promote; a page comes back from A1out into Am', () => {
    // c=4 (Kin=1, Kout=2). If the A1in hit on 1 promoted it, 5 would evict 2 instead and the
    // next 1 would hit.
    expect(pattern('2q', 4, [1, 1, 2, 3, 4, 5, 1, 1])).toBe('MhMMMMMh');
    // 1 returns via A1out into Am, then survives a stream of new pages that drain A1in.
    expect(pattern('2q', 4, [1, 2, 3, 4, 5, 1, 6, 7, 8, 9, 1])).toBe('MMMMMMMMMMh');
  });

  it('ghost hits are misses (2q, arc, s3fifo, lirs)', () => {
    // Each trace ends with a page the policy remembers only as a ghost / non-resident entry.
    expect(pattern('2q', 4, [1, 2, 3, 4, 5, 6, 1])).toBe('MMMMMMM'); // 1 in A1out
    expect(pattern('arc', 4, [1, 2, 3, 4, 1, 5, 2])).toBe('MMMMhMM'); // 2 in B1
    expect(pattern('s3fifo', 4, [1, 2, 3, 4, 5, 1])).toBe('MMMMMM'); // 1 in G
    expect(pattern('lirs', 4, [1, 2, 3, 4, 5, 4])).toBe('MMMMMM'); // 4 non-resident in S
    // ...and the ghost entry matters: the page comes back where a new page would not.
    expect(pattern('s3fifo', 4, [1, 2, 3, 4, 5, 1, 6, 7, 8, 1])).toBe('MMMMMMMMMh'); // 1 went to M
    expect(pattern('lirs', 4, [1, 2, 3, 4, 5, 4, 6, 4])).toBe('MMMMMMMh'); // 4 became LIR
  });

  it('lirs: pruning, an HIR hit outside S, and the eviction-before-promotion order (c=3, Lhirs=1)', () => {
    // 1,2 LIR, 3 HIR. Hit 2 at the bottom prunes 3 out of S (it stays in Q). Hit 3 outside S: it
    // re-enters S, stays HIR, nothing demoted. 4 evicts 3 (non-resident, kept in S). 3 again:
    // evicts 4 first, becomes LIR, demotes 1 to the end of Q: so 1 is still resident (a hit),
    // and 4 is not.
    expect(pattern('lirs', 3, [1, 2, 3, 1, 2, 3, 4, 3, 1, 4])).toBe('MMMhhhMMhM');
  });

  it('lirs: back-to-back repeats under dup=count, skip and top', () => {
    // c=3, Lhirs=1: 3 is resident HIR; "3 3" promotes it to LIR only under dup=count.
    const keys = [1, 2, 3, 3, 4, 1, 2];
    expect(pattern('lirs', 3, keys)).toBe('MMMhMMh');
    expect(pattern('lirs:dup=skip', 3, keys)).toBe('MMMhMhh');
    expect(pattern('lirs:dup=top', 3, keys)).toBe('MMMhMhh');
  });

  it('arc: with B1 empty, a full T1 loses its LRU page without a ghost', () => {
    // c=2: 1 2 3 drops 1 outright; 1 is then a brand-new page (T1), not a B1 ghost hit
    // (a ghost hit would have put it in T2 and evicted 2 into B1 instead of 3... both miss, but
    // the next 3 tells them apart).
    expect(pattern('arc', 2, [1, 2, 3, 1, 3])).toBe('MMMMh');
  });
});

describe("QEMU's age rule on its commit's workload shape", () => {
  const slots = 2048;
  const hotPages = 2 * slots;
  const passes = 20;
  const keys = Array.from({ length: hotPages * passes }, (_, i) => i % hotPages);

  it('hot set twice the cache, one dirty sync per pass: ~50% misses with the rule, ~100% without', () => {
    const withRule = simulateCache('qemu', slots, keys, { requestsPerGeneration: hotPages });
    const without = simulateCache('qemu-noage', slots, keys, { requestsPerGeneration: hotPages });
    const rate = (result: { misses: number; requests: number }) => result.misses / result.requests;
    // Pass 1 misses everything (half refused); each later pass hits the half it kept.
    expect(withRule.misses).toBe(hotPages + (passes - 1) * slots);
    expect(rate(withRule)).toBeGreaterThan(0.48);
    expect(rate(withRule)).toBeLessThan(0.55);
    expect(rate(without)).toBe(1);
    expect(withRule.refused).toBe(slots * passes);
  });

  it('the same through the PageCache API, as the migration simulator drives it', () => {
    const cache = createCache('qemu', { capacityPages: slots, pageSize: 64 });
    const page = new Uint8Array(64);
    for (let pass = 0; pass < passes; pass++) {
      for (let p = 0; p < hotPages; p++) {
        page[0] = p & 0xff;
        page[1] = pass;
        const slot = cache.lookup(p);
        if (slot >= 0) {
          expect(cache.data(slot)[0]).toBe(p & 0xff);
          cache.data(slot).set(page);
        } else cache.insert(p, page);
      }
      cache.nextGeneration();
    }
    const stats = cache.stats();
    expect(stats.misses).toBe(hotPages + (passes - 1) * slots);
    expect(stats.refused).toBe(slots * passes);
  });

  it('a page idle for two generations can be replaced; one used in the previous generation cannot', () => {
    const cache = createCache('qemu', { capacityPages: 4, storeData: false });
    expect(cache.insert(1)).toBe(1);
    cache.nextGeneration(); // generation 1: age 0 + 2 > 1
    expect(cache.insert(5)).toBe(-1);
    cache.nextGeneration(); // generation 2: 0 + 2 > 2 is false
    expect(cache.insert(5)).toBe(1);
    expect(cache.lookup(1)).toBe(-1);
    expect(cache.insert(5)).toBe(1); // the same page always overwrites
    expect(cache.stats()).toMatchObject({ refused: 1, evictions: 1, inserts: 3 });
  });
});

describe('API contract', () => {
  it('unknown policies and bad parameters: errors that list what is valid', () => {
    expect(() => createCache('lfu', { capacityPages: 4 })).toThrow(/unknown cache policy "lfu"; valid: set-assoc, lru, fifo, clock, 2q, lirs, arc, s3fifo, sieve, qemu, qemu-noage, opt/);
    expect(() => createCache('arc:step=half', { capacityPages: 4 })).toThrow(/arc: bad value "half" for "step"; valid: real .* or int/);
    expect(() => createCache('lirs:hirs=1%', { capacityPages: 4 })).toThrow(/unknown parameter "hirs"; valid: hir=1%/);
    expect(() => createCache('lru:ways=2', { capacityPages: 4 })).toThrow(/lru takes no parameters/);
    expect(() => createCache('set-assoc:ways=3', { capacityPages: 4 })).toThrow(/not a multiple of ways=3/);
    expect(() => createCache('set-assoc:ways=x', { capacityPages: 4 })).toThrow(/valid: a positive integer/);
    expect(() => createCache('qemu', { capacityPages: 6 })).toThrow(/power of two/);
    expect(() => createCache('lirs', { capacityPages: 1 })).toThrow(/LIRS needs capacity/);
    expect(() => createCache('lru', { capacityPages: 0 })).toThrow(/capacityPages must be an integer from 1 to 2147483647, got 0/);
    expect(() => createCache('lru', { capacityPages: 1e30 })).toThrow(/capacityPages must be an integer from 1 to 2147483647, got 1e\+30/);
    expect(() => createCache('opt', { capacityPages: 4 })).toThrow(/opt needs the future/);
    expect(() => createCache('2q:kin', { capacityPages: 4 })).toThrow(/not key=value/);
  });

  it('specs are normalised with every parameter', () => {
    expect(createCache('set-assoc', { capacityPages: 4 }).spec).toBe('set-assoc:ways=2');
    expect(createCache('lirs:dup=skip', { capacityPages: 4 }).spec).toBe('lirs:hir=1%,nonres=2c,stack=none,dup=skip');
    expect(createCache(' lru ', { capacityPages: 4 }).spec).toBe('lru');
  });

  it('one slab; data(slot) is a stable view (no allocation per call); storeData:false has none', () => {
    const cache = createCache('lru', { capacityPages: 3, pageSize: 16 });
    const slot = cache.insert(42, new Uint8Array(16).fill(7));
    const view = cache.data(slot);
    expect(cache.data(slot)).toBe(view);
    expect(view.byteLength).toBe(16);
    // One slab: the slots are consecutive pages of one buffer (kernel-visible page memory).
    const other = cache.data(slot === 0 ? 1 : 0);
    expect(other.buffer).toBe(view.buffer);
    expect(Math.abs(other.byteOffset - view.byteOffset)).toBe(16);
    expect(isKernelVisible(view)).toBe(true);
    expect([...view]).toEqual(new Array(16).fill(7));
    expect(() => cache.data(3)).toThrow(/slot 3 outside/);
    expect(() => cache.insert(1, new Uint8Array(8))).toThrow(/8 bytes/);
    const bare = createCache('lru', { capacityPages: 3, storeData: false });
    expect(() => bare.data(bare.insert(1))).toThrow(/storeData: false/);
  });

  it('page numbers: integers in [0, 2^53); k and k + 2^32 are different pages', () => {
    const cache = createCache('lru', { capacityPages: 4, storeData: false });
    for (const bad of [-1, 1.5, 2 ** 53, Number.NaN]) expect(() => cache.lookup(bad)).toThrow(/page number/);
    expect(() => simulateCache('lru', 4, [1, -3])).toThrow(/page number/);
    cache.insert(5);
    expect(cache.lookup(5 + 2 ** 32)).toBe(-1);
    cache.insert(5 + 2 ** 32);
    expect(cache.lookup(5)).toBeGreaterThanOrEqual(0);
    expect(cache.lookup(5 + 2 ** 32)).toBeGreaterThanOrEqual(0);
    expect(cache.lookup(2 ** 53 - 1)).toBe(-1);
  });

  it('opt driven through the API must follow its trace', () => {
    const cache = createCache('opt', { capacityPages: 2, storeData: false, trace: [1, 2, 1] });
    expect(cache.lookup(1)).toBe(-1);
    cache.insert(1);
    expect(() => cache.lookup(3)).toThrow(/request 2 is page 3, but the trace given has page 2/);
  });

  it('collapseRepeats: back-to-back repeats count as hits the policy never sees', () => {
    fc.assert(
      fc.property(traces(12, 120), (keys) => {
        const collapsed = keys.filter((key, i) => i === 0 || keys[i - 1] !== key);
        const repeats = keys.length - collapsed.length;
        for (const spec of ['lirs', 'arc', 'opt']) {
          const result = simulateCache(spec, 4, keys, { collapseRepeats: true });
          expect(result.hits).toBe(repeats + simulateCache(spec, 4, collapsed).hits);
          expect(result.requests).toBe(keys.length);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('every policy: a repeated insert returns the same slot; interleaved misses insert the right pages', () => {
    for (const spec of cacheNames().filter((name) => name !== 'opt')) {
      const cache = createCache(spec, { capacityPages: 4, storeData: false });
      expect(cache.lookup(1)).toBe(-1);
      expect(cache.lookup(2)).toBe(-1);
      const one = cache.insert(1); // not the pending miss (2): a full probe
      expect(one, spec).toBeGreaterThanOrEqual(0);
      expect(cache.insert(1), spec).toBe(one);
      const two = cache.insert(2);
      expect(two).not.toBe(one);
      expect(cache.lookup(1), spec).toBe(one);
      expect(cache.lookup(2), spec).toBe(two);
      expect(cache.stats().evictions, spec).toBe(0);
    }
  });

  it('stats count lookups, hits, inserts and evictions', () => {
    const cache = createCache('fifo', { capacityPages: 2, storeData: false });
    for (const key of [1, 2, 1, 3, 1]) if (cache.lookup(key) < 0) cache.insert(key);
    expect(cache.stats()).toEqual({ lookups: 5, hits: 1, misses: 4, inserts: 4, refused: 0, evictions: 2 });
  });
});

describe('KeyIndex', () => {
  it('behaves like a Map under random set/delete churn, with growth and wide keys', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 }), fc.constantFrom(0, 2 ** 32, 2 ** 52 - 1000)), { maxLength: 600 }),
        (operations) => {
          const index = new KeyIndex(4);
          const reference = new Map<number, number>();
          operations.forEach(([insert, low, base], step) => {
            const key = base + low;
            if (insert) {
              index.set(key, step);
              reference.set(key, step);
            } else {
              expect(index.delete(key)).toBe(reference.delete(key));
            }
            expect(index.size).toBe(reference.size);
          });
          for (const [key, value] of reference) expect(index.get(key)).toBe(value);
          for (const [, low, base] of operations) if (!reference.has(base + low)) expect(index.get(base + low)).toBe(-1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
