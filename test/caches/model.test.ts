/**
 * Each policy against its slow model (test/caches/models.ts) over thousands of random traces
 * (fast-check), request by request, through both the PageCache API (lookup + insert, with page
 * contents checked on every hit) and simulateCache. Keys include values past 2^32 and near 2^53.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCache, simulateCache } from '../../caches/registry.js';
import * as models from './models.js';

const RUNS = 400;

/** Runs `spec` through the PageCache API with 8-byte pages stamped with their key; hit/miss per request. */
function viaApi(spec: string, capacity: number, keys: number[], perGeneration = 0): boolean[] {
  const cache = createCache(spec, { capacityPages: capacity, pageSize: 8, trace: keys });
  const page = new Uint8Array(8);
  const view = new DataView(page.buffer);
  const stamp = new DataView(new ArrayBuffer(8));
  return keys.map((key, i) => {
    const slot = cache.lookup(key);
    let hit = false;
    if (slot >= 0) {
      // The slot still holds what was stored for this page: slots are stable and never shared.
      const data = cache.data(slot);
      for (let b = 0; b < 8; b++) stamp.setUint8(b, data[b]!);
      expect(stamp.getFloat64(0, true)).toBe(key);
      hit = true;
    } else {
      view.setFloat64(0, key, true);
      const inserted = cache.insert(key, page);
      // Bytes compared (the slab's views are kernel-visible, a Uint8Array subclass).
      if (inserted >= 0) expect(Uint8Array.from(cache.data(inserted))).toEqual(page);
    }
    if (perGeneration > 0 && (i + 1) % perGeneration === 0) cache.nextGeneration();
    return hit;
  });
}

const BASES = [0, 2 ** 32 - 6, 2 ** 52];

/** Random traces over a small alphabet (so pages recur), shifted to a random key base. */
function traceArbitrary(maxCapacity: number) {
  return fc
    .record({
      capacity: fc.integer({ min: 1, max: maxCapacity }),
      alphabet: fc.integer({ min: 1, max: 4 * maxCapacity }),
      base: fc.constantFrom(...BASES),
      raw: fc.array(fc.nat(), { minLength: 0, maxLength: 160 }),
    })
    .map(({ capacity, alphabet, base, raw }) => ({ capacity, keys: raw.map((value) => base + (value % alphabet)) }));
}

function check(spec: string | ((capacity: number) => string), model: (capacity: number) => models.Model, options: { minCapacity?: number; capacityOf?: (c: number) => number; maxCapacity?: number } = {}) {
  fc.assert(
    fc.property(traceArbitrary(options.maxCapacity ?? 12), ({ capacity, keys }) => {
      const c = options.capacityOf ? options.capacityOf(capacity) : Math.max(capacity, options.minCapacity ?? 1);
      const name = typeof spec === 'string' ? spec : spec(c);
      const expected = model(c)(keys, c);
      expect(viaApi(name, c, keys)).toEqual(expected);
      expect(simulateCache(name, c, keys).hits).toBe(expected.filter(Boolean).length);
    }),
    { numRuns: RUNS },
  );
}

/** A power of two from 1 to 16. */
const pow2 = (c: number) => 2 ** (c % 5);

describe('each policy equals its slow model on random traces', () => {
  it('lru', () => check('lru', () => models.lruModel));
  it('fifo', () => check('fifo', () => models.fifoModel));
  it('clock', () => check('clock', () => models.clockModel));
  it('sieve', () => check('sieve', () => models.sieveModel));
  it('set-assoc, 1/2/4 ways (scan layout)', () => {
    for (const ways of [1, 2, 4]) check(`set-assoc:ways=${ways}`, () => models.setAssocModel(ways), { maxCapacity: 6, capacityOf: (c) => c * ways });
  });
  it('set-assoc, 17 and 20 ways (list layout)', () => {
    for (const ways of [17, 20]) {
      check(`set-assoc:ways=${ways}`, () => models.setAssocModel(ways), { maxCapacity: 3, capacityOf: (c) => c * ways });
    }
  });
  it('qemu-noage', () => check('qemu-noage', () => models.directMappedModel, { capacityOf: pow2 }));
  it('qemu with generations every 1, 3, 7 requests and never', () => {
    for (const perGeneration of [0, 1, 3, 7]) {
      fc.assert(
        fc.property(traceArbitrary(16), ({ capacity: random, keys }) => {
          const capacity = pow2(random);
          const expected = models.qemuModel(perGeneration)(keys, capacity);
          expect(viaApi('qemu', capacity, keys, perGeneration)).toEqual(expected);
          expect(simulateCache('qemu', capacity, keys, { requestsPerGeneration: perGeneration }).hits).toBe(expected.filter(Boolean).length);
        }),
        { numRuns: RUNS / 2 },
      );
    }
  });
  it('2q (Kin 25%, Kout 50%)', () => check('2q', (c) => models.twoQModel(Math.floor(c / 4), Math.floor(c / 2))));
  it('2q with kin=3,kout=1', () => check('2q:kin=3,kout=1', () => models.twoQModel(3, 1)));
  it('arc, real and integer step', () => {
    check('arc', () => models.arcModel(false));
    check('arc:step=int', () => models.arcModel(true));
  });
  it('s3fifo, paper variant and the knobs', () => {
    const maxS = (c: number) => Math.max(1, Math.floor(c / 10));
    check('s3fifo', (c) => models.s3fifoModel(maxS(c), c - maxS(c), 2, false), { maxCapacity: 30 });
    check('s3fifo:promote=1,ghostcheck=before', (c) => models.s3fifoModel(maxS(c), c - maxS(c), 1, true), { maxCapacity: 30 });
    check('s3fifo:small=3,ghost=2', (c) => models.s3fifoModel(3, 2, 2, false), { minCapacity: 3 });
  });
  it('lirs, defaults and variants', () => {
    const hir = (c: number) => Math.max(1, Math.floor(c / 100));
    check('lirs', (c) => models.lirsModel({ hir: hir(c), nonres: 2 * c, stack: Infinity, dup: 'count' }), { minCapacity: 2 });
    check('lirs:nonres=none', (c) => models.lirsModel({ hir: hir(c), nonres: Infinity, stack: Infinity, dup: 'count' }), { minCapacity: 2 });
    check('lirs:hir=2,nonres=1,dup=skip', () => models.lirsModel({ hir: 2, nonres: 1, stack: Infinity, dup: 'skip' }), { minCapacity: 3 });
    check('lirs:hir=3,nonres=none,stack=2c,dup=top', (c) => models.lirsModel({ hir: 3, nonres: Infinity, stack: 2 * c, dup: 'top' }), { minCapacity: 4 });
    check('lirs:hir=25%,nonres=0', (c) => models.lirsModel({ hir: Math.max(1, Math.floor(c / 4)), nonres: 0, stack: Infinity, dup: 'count' }), { minCapacity: 2 });
  });
  it('opt, demand paging and bypass', () => {
    check('opt', () => models.optModel(false));
    check('opt:bypass=yes', () => models.optModel(true));
  });
});
