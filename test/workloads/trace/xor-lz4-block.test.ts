import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lz4 } from '../../../codecs/native.js';
import { xorLz4Block } from '../../../workloads/trace/xor-lz4-block.js';

const hex = (text: string): Uint8Array => Uint8Array.from(text.split(' ').map((byte) => Number.parseInt(byte, 16)));

/** Applies `block` to a copy of `page`; returns the result, the count, and whether scratch came back zero. */
function apply(block: Uint8Array, page: Uint8Array): { page: Uint8Array; changed: number; scratchClean: boolean } {
  const out = new Uint8Array(page.length + 8);
  out.set(page, 8); // at an offset, as pages sit inside a block of the image
  const scratch = new Uint8Array(page.length);
  const changed = xorLz4Block(block, 0, block.length, out, 8, page.length, scratch);
  return { page: out.subarray(8), changed, scratchClean: scratch.every((byte) => byte === 0) };
}

describe('xorLz4Block: an LZ4 XOR delta applied straight to the page', () => {
  it('hand-made 16-byte blocks: a zero run, a repeated pattern (overlapping match), a copy of earlier bytes', () => {
    const page = Uint8Array.from({ length: 16 }, (_, i) => i);
    // 1 literal (0), a 15-byte match at offset 1 (zeros), then the empty last sequence.
    expect(apply(hex('1b 00 01 00 00'), page)).toEqual({ page, changed: 0, scratchClean: true });
    // Literals AB CD, a 10-byte match at offset 2 (ABAB...), then 4 literals.
    const pattern = apply(hex('26 ab cd 02 00 40 01 00 00 02'), page);
    expect([...pattern.page]).toEqual([0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x02].map((x, i) => x ^ i));
    expect(pattern.changed).toBe(14);
    expect(pattern.scratchClean).toBe(true);
    // Literals 11 22 00 00 33, a 5-byte match at offset 5 (the same five), then 6 zero literals.
    const copy = apply(hex('51 11 22 00 00 33 05 00 60 00 00 00 00 00 00'), page);
    expect([...copy.page]).toEqual([0x11, 0x22, 0, 0, 0x33, 0x11, 0x22, 0, 0, 0x33, 0, 0, 0, 0, 0, 0].map((x, i) => x ^ i));
    expect(copy.changed).toBe(6);
  });

  it('rejects a block that is not one page of valid LZ4, leaving the page untouched', () => {
    const page = Uint8Array.from({ length: 16 }, (_, i) => 100 + i);
    for (const bad of [
      '', // empty
      '1b 00 01', // offset cut short
      '1b 00 00 00 00', // offset 0
      '1b 00 02 00 00', // offset past the output so far
      '1a 00 01 00 00', // 15 bytes, not 16
      '1c 00 01 00 00', // 17 bytes
      'f0 ff', // literal count running off the block
      '26 ab cd 02 00 40 01 00 00', // last literals cut short
    ]) {
      const block = bad === '' ? new Uint8Array(0) : hex(bad);
      const result = apply(block, page);
      expect(result.changed, bad).toBe(-1);
      expect(result.page, bad).toEqual(page);
      expect(result.scratchClean, bad).toBe(true);
    }
  });

  it('dense repeated patterns (one run, zeros inside) and later copies out of them count only non-zero bytes', () => {
    const pageSize = 4096;
    const cases: Array<Array<[at: number, unit: number[], repeats: number]>> = [
      [[0, [0xab, 0, 0xcd, 0], 301]], // period 4, half zero, a run that ends mid-period
      [[5, [1, 2, 3], 700], [3000, [1, 2, 3], 13]], // dense run, then the same bytes again (a disjoint match into it)
      [[100, [9, 0, 0, 0, 0, 0, 0, 7], 200], [2500, [0, 0, 0, 7, 9], 30]], // sparse period (2 of 8): the other path
      [[0, [0x55], 4096]], // every byte
    ];
    for (const writes of cases) {
      const xor = new Uint8Array(pageSize);
      for (const [at, unit, repeats] of writes) for (let k = 0; k < unit.length * repeats && at + k < pageSize; k++) xor[at + k] = unit[k % unit.length]!;
      const block = new Uint8Array(lz4.encodeBound(pageSize));
      const size = lz4.encodeBlock(xor, block);
      const page = Uint8Array.from({ length: pageSize }, (_, i) => (i * 13) & 255);
      const result = apply(block.subarray(0, size), page);
      expect(result.page).toEqual(page.map((byte, i) => byte ^ xor[i]!));
      expect(result.changed).toBe(xor.filter((byte) => byte !== 0).length);
      expect(result.scratchClean).toBe(true);
    }
  });

  it('equals the native LZ4 decoder followed by XOR, on sparse and dense deltas (property)', () => {
    const pageSize = 4096;
    const delta = fc.oneof(
      // A few runs of changed bytes, as a page write leaves.
      fc.array(fc.record({ at: fc.integer({ min: 0, max: pageSize - 1 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }), { maxLength: 12 }),
      // Repeated patterns and long non-zero stretches (overlapping and disjoint matches).
      fc.array(fc.record({ at: fc.integer({ min: 0, max: pageSize - 1 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((unit) => Uint8Array.from({ length: unit.length * 40 }, (_, i) => unit[i % unit.length]!)) }), { maxLength: 4 }),
    );
    fc.assert(
      fc.property(delta, fc.integer({ min: 0, max: 255 }), (writes, fillByte) => {
        const xor = new Uint8Array(pageSize);
        for (const write of writes) xor.set(write.bytes.subarray(0, pageSize - write.at), write.at);
        const block = new Uint8Array(lz4.encodeBound(pageSize));
        const size = lz4.encodeBlock(xor, block);
        const page = Uint8Array.from({ length: pageSize }, (_, i) => (i * 7 + fillByte) & 255);
        const result = apply(block.subarray(0, size), page);
        const decoded = new Uint8Array(pageSize);
        expect(lz4.decodeBlock(block.subarray(0, size), decoded)).toBe(pageSize);
        expect(result.page).toEqual(page.map((byte, i) => byte ^ decoded[i]!));
        expect(result.changed).toBe(decoded.filter((byte) => byte !== 0).length);
        expect(result.scratchClean).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
