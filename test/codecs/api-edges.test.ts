/** The codec API at its edges: pages on a grown resizable buffer, and arguments that are not pages. */
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../codecs/codec.js';
import { codecNames, getCodec } from '../../codecs/registry.js';

const PAGE = 4096;

describe('pages on a resizable ArrayBuffer that has grown', () => {
  for (const name of codecNames()) {
    it(`${name}: a page beyond the buffer's first size still encodes and decodes exactly`, () => {
      const codec = getCodec(name);
      const buffer = new ArrayBuffer(2 * PAGE, { maxByteLength: 8 * PAGE });
      const out = new Uint8Array(PAGE * 2 + 64);
      // First use: the codec's cached word views are made over the two-page buffer.
      const first = new Uint8Array(buffer, 0, PAGE);
      const second = new Uint8Array(buffer, PAGE, PAGE);
      second[7] = 1;
      expect(codec.encode(first, second, out)).toBeGreaterThan(0);
      buffer.resize(6 * PAGE);
      const old = new Uint8Array(buffer, 3 * PAGE, PAGE);
      const cur = new Uint8Array(buffer, 4 * PAGE, PAGE);
      for (let i = 0; i < PAGE; i += 97) cur[i] = (i * 7 + 1) & 0xff;
      const size = codec.encode(old, cur, out);
      expect(size, 'differing pages are not identical').not.toBe(0);
      if (size > 0) {
        const page = new Uint8Array(buffer, 5 * PAGE, PAGE);
        codec.decode(out.subarray(0, size), page);
        expect(Buffer.compare(page, cur)).toBe(0);
      }
    });
  }
});

describe('arguments that are not pages', () => {
  const page = new Uint8Array(PAGE);
  const out = new Uint8Array(PAGE * 2);
  for (const name of codecNames()) {
    it(`${name}: null, numbers, arrays and typed arrays of another kind are a CodecError naming the argument`, () => {
      const codec = getCodec(name);
      const bad = [null, 42, [1, 2, 3], new Uint16Array(PAGE / 2), 'page'] as unknown as Uint8Array[];
      for (const value of bad) {
        expect(() => codec.encode(page, value, out)).toThrow(CodecError);
        expect(() => codec.encode(page, value, out)).toThrow(/the new page \(cur\) must be a Uint8Array, got /);
        expect(() => codec.encode(page, page.slice(), value)).toThrow(/the output \(out\) must be a Uint8Array/);
        expect(() => codec.decode(value, page)).toThrow(/the encoded input must be a Uint8Array/);
        expect(() => codec.decode(new Uint8Array(4), value)).toThrow(/the page must be a Uint8Array/);
      }
      if (codec.kind === 'delta') expect(() => codec.encode(42 as unknown as Uint8Array, page, out)).toThrow(/the old page \(old\) must be a Uint8Array, got number/);
    });
  }
});
