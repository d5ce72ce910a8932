import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../codecs/codec.js';
import { allocatePages, isKernelVisible } from '../../codecs/page-memory.js';
import { XbrleCodec } from '../../codecs/xbrle.js';
import { XbzrleCodec } from '../../codecs/xbzrle.js';
import { canonicalPagePairs, SCENARIOS } from '../../workloads/scenarios.js';

const wasmXbzrle = new XbzrleCodec({ kernel: 'wasm', native: false }); // pages from elsewhere through the copy path
const jsXbzrle = new XbzrleCodec({ kernel: 'js' });
const wasmXbrle = new XbrleCodec({ kernel: 'wasm' });
const jsXbrle = new XbrleCodec({ kernel: 'js' });

function sameBytes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Where a test page lives: kernel-visible (in an arena) or an ordinary Uint8Array. */
type Place = 'arena' | 'plain';
const place = fc.constantFrom<Place>('arena', 'plain');

/**
 * A `size`-byte page at `offset` inside a larger region of `place`, with `guard` bytes of 0xa5
 * on both sides, so a test can check nothing outside the page was written.
 */
function pageIn(where: Place, size: number, offset: number, guard = 32): { page: Uint8Array; region: Uint8Array } {
  const total = size + offset + 2 * guard;
  const region = where === 'arena' ? allocatePages(1, total) : new Uint8Array(total);
  region.fill(0xa5);
  const page = region.subarray(guard + offset, guard + offset + size);
  page.fill(0);
  return { page, region };
}

function guardsIntact(region: Uint8Array, page: Uint8Array): boolean {
  const start = page.byteOffset - region.byteOffset;
  for (let i = 0; i < start; i++) if (region[i] !== 0xa5) return false;
  for (let i = start + page.length; i < region.length; i++) if (region[i] !== 0xa5) return false;
  return true;
}

describe('page memory: allocatePages', () => {
  it('large allocations made in turn are not a power of two apart (a rotating 64 KiB colour); small ones are packed', () => {
    const size = 4 << 20;
    const pools = [allocatePages(size / 4096, 4096), allocatePages(size / 4096, 4096), allocatePages(size / 4096, 4096)];
    for (const pool of pools) expect(isKernelVisible(pool)).toBe(true);
    // Same arena (each fits): each pool starts 1 to 15 colours of 64 KiB past the previous
    // one's end, so never exactly `size` after its start.
    for (let k = 1; k < pools.length; k++) {
      const gap = pools[k]!.byteOffset - (pools[k - 1]!.byteOffset + size);
      expect(gap % 65536).toBe(0);
      expect(gap).toBeGreaterThanOrEqual(65536);
      expect(gap).toBeLessThanOrEqual(15 * 65536);
    }
    const a = allocatePages(2, 4096);
    const b = allocatePages(2, 4096);
    expect(b.byteOffset - a.byteOffset).toBe(8192);
  });

  it('hands out zero-filled, kernel-visible, non-overlapping pages', () => {
    const a = allocatePages(4, 4096);
    const b = allocatePages(3, 4096);
    expect(a.length).toBe(16384);
    expect(b.length).toBe(12288);
    expect(isKernelVisible(a)).toBe(true);
    expect(isKernelVisible(b)).toBe(true);
    expect(a.every((byte) => byte === 0) && b.every((byte) => byte === 0)).toBe(true);
    a.fill(7);
    expect(b.every((byte) => byte === 0)).toBe(true);
    expect(a.byteOffset % 4096).toBe(0);
    expect(b.byteOffset % 4096).toBe(0);
    // A subarray of a kernel-visible page is kernel-visible; an ordinary array is not.
    expect(isKernelVisible(a.subarray(4096, 8192))).toBe(true);
    expect(isKernelVisible(new Uint8Array(4096))).toBe(false);
  });

  it('subarrays stay kernel-visible; slice, map and views made another way are plain arrays (copy path, same results)', () => {
    const pages = allocatePages(4, 4096);
    pages.fill(3, 0, 4096);
    const sub = pages.subarray(100, 200);
    expect(isKernelVisible(sub)).toBe(true);
    expect(sub.byteOffset).toBe(pages.byteOffset + 100);
    for (const copy of [pages.slice(0, 4096), pages.subarray(0, 4096).map((byte) => byte + 1)]) {
      expect(isKernelVisible(copy)).toBe(false);
      expect(Object.getPrototypeOf(copy)).toBe(Uint8Array.prototype);
      expect(copy.buffer).not.toBe(pages.buffer);
    }
    expect(Array.from(pages.slice(0, 3))).toEqual([3, 3, 3]);
    // The view class refuses to make views of the scratch space or of other buffers.
    const View = pages.constructor as new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => Uint8Array;
    expect(isKernelVisible(new View(pages.buffer, 0, 64))).toBe(false);
    expect(isKernelVisible(new View(new ArrayBuffer(64), 0, 64))).toBe(false);
    expect(isKernelVisible(new View(pages.buffer, pages.byteOffset, 64))).toBe(true);
    // A plain view over the same memory is not recognised: it goes through the copy path.
    const plainOld = new Uint8Array(pages.buffer, pages.byteOffset, 4096);
    const cur = pages.subarray(4096, 8192);
    cur.set(plainOld);
    cur[17] = 99;
    expect(isKernelVisible(plainOld)).toBe(false);
    const out = allocatePages(1, 4096);
    const size = wasmXbzrle.encode(plainOld, cur, out);
    const expected = new Uint8Array(4096);
    expect(size).toBe(jsXbzrle.encode(plainOld.slice(), cur.slice(), expected));
    expect(Array.from(out.subarray(0, size))).toEqual(Array.from(expected.subarray(0, size)));
    wasmXbzrle.decode(out.subarray(0, size), plainOld);
    expect(plainOld[17]).toBe(99);
  });

  it('views stay valid while more is allocated (the memory never grows or detaches)', () => {
    const first = allocatePages(1, 4096);
    first.fill(0x3c);
    const more: Uint8Array[] = [];
    for (let k = 0; k < 64; k++) more.push(allocatePages(256, 4096)); // 64 MiB more
    expect(first.length).toBe(4096);
    expect(first.every((byte) => byte === 0x3c)).toBe(true);
    expect(more.every((view) => view.length === 256 * 4096 && view[0] === 0)).toBe(true);
  });

  it('rejects a negative or fractional count with one line', () => {
    expect(() => allocatePages(-1, 4096)).toThrow('page count must be a non-negative integer, got -1');
    expect(() => allocatePages(1, 0.5)).toThrow('page size must be a positive integer, got 0.5');
  });
});

describe('page memory: the kernels work in place and agree with TypeScript', () => {
  it('canonical sizes 59 / 215 / 918 / 1530 bytes on kernel-visible pages, decoded back exactly; xbrle agrees with TypeScript', () => {
    const expected = [59, 215, 918, 1530];
    SCENARIOS.forEach((scenario, index) => {
      const { oldPages, newPages } = canonicalPagePairs(scenario, 64);
      const old = allocatePages(64, 4096);
      const cur = allocatePages(64, 4096);
      const out = allocatePages(1, 4096);
      old.set(oldPages);
      cur.set(newPages);
      let total = 0;
      for (let page = 0; page < 64; page++) {
        const o = old.subarray(page * 4096, (page + 1) * 4096);
        const c = cur.subarray(page * 4096, (page + 1) * 4096);
        const size = wasmXbzrle.encode(o, c, out);
        const plain = new Uint8Array(4096);
        expect(jsXbzrle.encode(o.slice(), c.slice(), plain)).toBe(size);
        expect(sameBytes(out.subarray(0, size), plain.subarray(0, size))).toBe(true);
        total += size;
        // XBRLE too: changed random bytes make blocks where every lane starts a run.
        const xbrleOut = allocatePages(1, 8192);
        const xbrlePlain = new Uint8Array(8192);
        const xbrleSize = wasmXbrle.encode(o, c, xbrleOut);
        expect(jsXbrle.encode(o.slice(), c.slice(), xbrlePlain)).toBe(xbrleSize);
        expect(sameBytes(xbrleOut.subarray(0, xbrleSize), xbrlePlain.subarray(0, xbrleSize))).toBe(true);
        for (const limit of [xbrleSize - 1, xbrleSize - 17, xbrleSize + 3]) {
          expect(wasmXbrle.encode(o, c, xbrleOut.subarray(0, Math.max(0, limit)))).toBe(jsXbrle.encode(o.slice(), c.slice(), xbrlePlain.subarray(0, Math.max(0, limit))));
        }
        wasmXbzrle.decode(out.subarray(0, size), o);
        expect(sameBytes(o, c)).toBe(true);
      }
      expect(total / 64).toBe(expected[index]);
    });
  });

  for (const [name, wasm, js] of [
    ['xbzrle', wasmXbzrle, jsXbzrle],
    ['xbrle', wasmXbrle, jsXbrle],
  ] as const) {
    it(`${name}: same result and bytes for every mix of page places, limits and alignments (fast-check)`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1024 }).chain((words) =>
            fc.record({
              old: fc.uint8Array({ minLength: words * 4, maxLength: words * 4 }),
              edits: fc.array(fc.tuple(fc.nat({ max: words * 4 - 1 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 255 })), { maxLength: 40 }),
              limit: fc.integer({ min: 0, max: 9000 }),
              offsets: fc.tuple(fc.nat({ max: 15 }), fc.nat({ max: 15 }), fc.nat({ max: 15 })),
              places: fc.tuple(place, place, place),
            }),
          ),
          ({ old, edits, limit, offsets, places }) => {
            const size = old.length;
            const oldPage = pageIn(places[0], size, offsets[0]);
            const curPage = pageIn(places[1], size, offsets[1]);
            const outPage = pageIn(places[2], limit, offsets[2]);
            oldPage.page.set(old);
            curPage.page.set(old);
            for (const [at, length, mask] of edits) for (let i = at; i < Math.min(size, at + length); i++) curPage.page[i] = curPage.page[i]! ^ mask;
            const expectedOut = new Uint8Array(limit);
            const expected = js.encode(old, curPage.page.slice(), expectedOut);
            expect(wasm.encode(oldPage.page, curPage.page, outPage.page)).toBe(expected);
            if (expected > 0) expect(sameBytes(outPage.page.subarray(0, expected), expectedOut.subarray(0, expected))).toBe(true);
            expect(guardsIntact(outPage.region, outPage.page)).toBe(true);
            expect(sameBytes(oldPage.page, old)).toBe(true);
          },
        ),
        { numRuns: 400 },
      );
    });
  }

  it('xbzrle: 10,000 random pairs on kernel-visible pages encode as the TypeScript encoder does', () => {
    const arena = allocatePages(3, 4096);
    const old = arena.subarray(0, 4096);
    const cur = arena.subarray(4096, 8192);
    const out = arena.subarray(8192, 12288);
    const expectedOut = new Uint8Array(4096);
    let state = 12345;
    const next = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 8;
    };
    for (let pair = 0; pair < 10_000; pair++) {
      for (let i = 0; i < 4096; i += 4) {
        const word = next();
        old[i] = word;
        old[i + 1] = word >>> 8;
        old[i + 2] = next();
        old[i + 3] = next();
      }
      cur.set(old);
      const edits = next() % 64;
      for (let e = 0; e < edits; e++) {
        const at = next() % 4096;
        const length = 1 + (next() % 48);
        for (let i = at; i < Math.min(4096, at + length); i++) cur[i] = cur[i]! ^ (1 + (next() % 255));
      }
      const expected = jsXbzrle.encode(old, cur, expectedOut);
      const size = wasmXbzrle.encode(old, cur, out);
      if (size !== expected || (size > 0 && !sameBytes(out.subarray(0, size), expectedOut.subarray(0, size)))) {
        throw new Error(`pair ${pair}: kernel ${size} bytes, TypeScript ${expected}`);
      }
    }
  });

  it('xbzrle decode in place: same page or same error as TypeScript, nothing outside the page written (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4096, maxLength: 4096 }),
        fc.array(fc.tuple(fc.nat({ max: 4095 }), fc.integer({ min: 1, max: 60 })), { minLength: 1, maxLength: 80 }),
        fc.array(fc.tuple(fc.nat({ max: 100_000 }), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.nat({ max: 5 }),
        fc.tuple(place, fc.nat({ max: 15 })),
        (old, edits, mutations, cut, [inputPlace, inputOffset]) => {
          const cur = old.slice();
          for (const [at, length] of edits) for (let i = at; i < Math.min(4096, at + length); i++) cur[i] = cur[i]! ^ 0x5a;
          const out = new Uint8Array(8192);
          const size = jsXbzrle.encode(old, cur, out);
          if (size <= 0) return;
          const bytes = out.slice(0, Math.max(1, size - cut));
          for (const [at, value] of mutations) bytes[at % bytes.length] = value;
          const input = pageIn(inputPlace, bytes.length, inputOffset).page;
          input.set(bytes);
          const target = pageIn('arena', 4096, 0);
          target.page.set(old);
          const reference = old.slice();
          let expected = 'ok';
          try {
            jsXbzrle.decode(bytes, reference);
          } catch (error) {
            expected = (error as Error).message;
          }
          let actual = 'ok';
          try {
            wasmXbzrle.decode(input, target.page);
          } catch (error) {
            expect(error).toBeInstanceOf(CodecError);
            actual = (error as Error).message;
          }
          expect(actual).toBe(expected);
          expect(sameBytes(target.page, expected === 'ok' ? reference : old)).toBe(true);
          expect(guardsIntact(target.region, target.page)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('xbzrle decode in place of a change touching the last byte of the page leaves the next page alone', () => {
    const two = allocatePages(2, 4096);
    two.subarray(4096).fill(0x77);
    const page = two.subarray(0, 4096);
    // 4090 unchanged bytes, then 6 changed: the masked store reaches into the next page.
    const delta = Uint8Array.of(0xfa, 0x1f, 6, 1, 2, 3, 4, 5, 6);
    wasmXbzrle.decode(delta, page);
    expect([...page.subarray(4090)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(two.subarray(4096).every((byte) => byte === 0x77)).toBe(true);
  });
});
