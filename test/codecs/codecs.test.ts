import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../codecs/codec.js';
import { lz4, lz4JavaScriptBlock, lz4NativeAddon, SNAPPY_DECODE, snappy } from '../../codecs/native.js';
import { codecNames, getCodec, getCodecDefinition } from '../../codecs/registry.js';
import { XbrleCodec } from '../../codecs/xbrle.js';

const require = createRequire(import.meta.url);
const snappyAsync = require('snappy') as {
  compress(input: Uint8Array, options: { copyOutputData: boolean }): Promise<Uint8Array>;
  uncompress(input: Uint8Array, options: { asBuffer: true; copyOutputData: boolean }): Promise<Uint8Array>;
};

const PAGE = 4096;

function sameBytes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Deterministic pseudo-random bytes (LCG), so failures reproduce. */
function randomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

function textPage(seed: number): Uint8Array {
  const words = ['migration', 'page', 'dirty', 'cache', 'delta', 'guest', 'memory', 'round'];
  const bytes = new Uint8Array(PAGE);
  const random = randomBytes(PAGE, seed);
  let position = 0;
  let k = 0;
  while (position < PAGE) {
    const word = `${words[random[k++ % PAGE]! % words.length]} `;
    for (let c = 0; c < word.length && position < PAGE; c++) bytes[position++] = word.charCodeAt(c);
  }
  return bytes;
}

/** The page pairs every codec must round-trip. */
function pagePairs(): Array<[string, Uint8Array, Uint8Array]> {
  const random = randomBytes(PAGE, 1);
  const sparse = random.slice();
  for (let i = 0; i < PAGE; i += 997) sparse[i] = sparse[i]! ^ 0xff;
  const text = textPage(3);
  const textEdited = text.slice();
  textEdited.set([65, 66, 67], 2000);
  return [
    ['random -> random (all changed)', random, randomBytes(PAGE, 2)],
    ['random -> sparse change', random, sparse],
    ['zero -> random', new Uint8Array(PAGE), random],
    ['random -> zero', random, new Uint8Array(PAGE)],
    ['zero -> one byte', new Uint8Array(PAGE), Uint8Array.from({ length: PAGE }, (_, i) => (i === 4095 ? 1 : 0))],
    ['text -> edited text', text, textEdited],
    ['all bytes +1', random, random.map((byte) => (byte + 1) & 0xff)],
  ];
}

describe.each(codecNames())('codec %s', (name) => {
  const codec = getCodec(name);

  it.each(pagePairs())('round-trips %s', (_label, old, cur) => {
    const out = new Uint8Array(2 * PAGE + 64);
    const size = codec.encode(old, cur, out);
    expect(size).toBeGreaterThan(0);
    const page = old.slice();
    codec.decode(out.subarray(0, size), page);
    expect(sameBytes(page, cur)).toBe(true);
  });

  it('returns 0 for identical pages', () => {
    const page = randomBytes(PAGE, 9);
    expect(codec.encode(page, page.slice(), new Uint8Array(2 * PAGE))).toBe(0);
    expect(codec.encode(new Uint8Array(PAGE), new Uint8Array(PAGE), new Uint8Array(2 * PAGE))).toBe(0);
  });

  it('returns -1 when out is too small, without writing past it', () => {
    const old = randomBytes(PAGE, 4);
    const cur = randomBytes(PAGE, 5);
    const backing = new Uint8Array(PAGE + 64).fill(0xcd);
    for (const limit of [0, 1, 16, 100]) {
      backing.fill(0xcd);
      expect(codec.encode(old, cur, backing.subarray(0, limit))).toBe(-1);
      expect(backing.subarray(limit).every((byte) => byte === 0xcd)).toBe(true);
    }
  });

  it('rejects a truncated encoding with a CodecError and leaves the page untouched', () => {
    for (const [label, old, cur] of pagePairs()) {
      const out = new Uint8Array(2 * PAGE + 64);
      const size = codec.encode(old, cur, out);
      for (const cut of [1, 2, Math.floor(size / 2)]) {
        if (cut >= size) continue;
        const page = old.slice();
        expect(() => codec.decode(out.subarray(0, size - cut), page), `${label}, cut ${cut}`).toThrow(CodecError);
        expect(sameBytes(page, old), `${label}: page changed by a failed decode`).toBe(true);
      }
    }
  });

  it('rejects garbage with a CodecError (never another error, never out of bounds)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (garbage) => {
        const backing = new Uint8Array(PAGE + 16).fill(0x5a);
        const page = backing.subarray(0, PAGE);
        try {
          codec.decode(garbage, page);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
        expect(backing.subarray(PAGE).every((byte) => byte === 0x5a)).toBe(true);
      }),
      { numRuns: 300 },
    );
    // Fixed garbage that no format accepts for a 4096-byte page.
    expect(() => codec.decode(Uint8Array.from([0xff, 0xff, 0xff]), new Uint8Array(PAGE))).toThrow(CodecError);
  });

  it('rejects empty pages and length mismatches with a clear error', () => {
    expect(() => codec.encode(new Uint8Array(0), new Uint8Array(0), new Uint8Array(8))).toThrow(/empty page/);
    expect(() => codec.encode(new Uint8Array(PAGE), new Uint8Array(PAGE / 2), new Uint8Array(8))).toThrow(/length mismatch/);
    expect(() => codec.decode(new Uint8Array(4), new Uint8Array(0))).toThrow(/empty page/);
  });

  it('round-trips random sparse changes on pages of 8..16384 bytes (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2048 }).chain((words) =>
          fc.tuple(fc.uint8Array({ minLength: words * 8, maxLength: words * 8 }), fc.array(fc.tuple(fc.nat({ max: words * 8 - 1 }), fc.integer({ min: 1, max: 255 })), { maxLength: 30 })),
        ),
        ([old, edits]) => {
          const cur = old.slice();
          for (const [offset, mask] of edits) cur[offset] = cur[offset]! ^ mask;
          const out = new Uint8Array(2 * old.length + 64);
          const size = codec.encode(old, cur, out);
          if (edits.length === 0) expect(size).toBe(0);
          if (size === 0) {
            expect(sameBytes(old, cur)).toBe(true);
            return;
          }
          expect(size).toBeGreaterThan(0);
          const page = old.slice();
          codec.decode(out.subarray(0, size), page);
          expect(sameBytes(page, cur)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  if (codec.kind === 'whole') {
    it('encodes without knowing the receiver copy (old = null) and still round-trips', () => {
      const cur = textPage(11);
      const out = new Uint8Array(2 * PAGE);
      const size = codec.encode(null, cur, out);
      expect(size).toBeGreaterThan(0);
      const page = randomBytes(PAGE, 12); // whatever the receiver held
      codec.decode(out.subarray(0, size), page);
      expect(sameBytes(page, cur)).toBe(true);
    });
  } else {
    it('refuses old = null', () => {
      expect(() => codec.encode(null, new Uint8Array(PAGE), new Uint8Array(8))).toThrow(/needs the old page/);
    });
  }
});

describe('codec registry', () => {
  // A new codec needs no edit here: the names come from the registry.
  it('lists each codec once (the paper’s seven among them) and rejects unknown names with the valid list', () => {
    const names = codecNames();
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['xbzrle', 'xbrle', 'xor-lz4', 'xor-snappy', 'lz4', 'snappy', 'raw']));
    expect(() => getCodec('zstd')).toThrow(`unknown codec "zstd"; valid codecs: ${names.join(', ')}`);
    expect(() => getCodec('__proto__')).toThrow(/unknown codec/);
  });

  it.each(codecNames())('definition of %s: name, description and kind are those of its instances', (name) => {
    const definition = getCodecDefinition(name);
    const codec = definition.create();
    expect([definition.name, definition.description, definition.kind]).toEqual([codec.name, codec.description, codec.kind]);
    expect(definition.create()).not.toBe(codec);
  });
});

describe('xbrle format', () => {
  const codec = getCodec('xbrle');
  it('encodes (count, byte) pairs of the XOR over the whole page, runs capped at 255', () => {
    const old = new Uint8Array(600);
    const cur = new Uint8Array(600);
    cur.fill(0x0f, 10, 13); // XOR 0x0f x3
    const out = new Uint8Array(64);
    const size = codec.encode(old, cur, out);
    // 10 unchanged, 3 x 0x0f, 587 unchanged = 255 + 255 + 77
    expect([...out.subarray(0, size)]).toEqual([10, 0, 3, 0x0f, 255, 0, 255, 0, 77, 0]);
    const page = old.slice();
    codec.decode(out.subarray(0, size), page);
    expect(sameBytes(page, cur)).toBe(true);
  });
  it('rejects odd lengths, zero counts and runs not covering the page', () => {
    const page = new Uint8Array(16);
    expect(() => codec.decode(Uint8Array.from([16]), page)).toThrow(/odd length/);
    expect(() => codec.decode(Uint8Array.from([0, 1, 16, 0]), page)).toThrow(/zero run count/);
    expect(() => codec.decode(Uint8Array.from([8, 1]), page)).toThrow(/cover 8 bytes, the page has 16/);
    expect(() => codec.decode(Uint8Array.from([17, 1]), page)).toThrow(/more than the 16-byte page/);
  });
});

describe('native libraries', () => {
  it('lz4.encodeBlock is the native C encoder of the addon, not the JavaScript fallback', () => {
    const addon = lz4NativeAddon();
    expect(lz4.encodeBlock).toBe(addon.compress);
    expect(lz4.decodeBlock).toBe(addon.uncompress);
    expect(Function.prototype.toString.call(lz4.encodeBlock)).toContain('[native code]');
  });

  it('xor-lz4 and lz4 blocks are genuine LZ4: the independent JavaScript decoder reads them, and ours reads its blocks', () => {
    const js = lz4JavaScriptBlock();
    const old = textPage(21);
    const cur = textPage(22);
    for (const name of ['lz4', 'xor-lz4'] as const) {
      const codec = getCodec(name);
      const out = new Uint8Array(2 * PAGE);
      const size = codec.encode(old, cur, out);
      const decoded = new Uint8Array(PAGE);
      expect(js.uncompress(out.subarray(0, size), decoded)).toBe(PAGE);
      const expected = name === 'lz4' ? cur : cur.map((byte, i) => byte ^ old[i]!);
      expect(sameBytes(decoded, expected)).toBe(true);
    }
    // A block written by the JavaScript encoder decodes through our codec.
    const jsBlock = new Uint8Array(2 * PAGE);
    const jsSize = js.compress(cur, jsBlock);
    expect(jsSize).toBeGreaterThan(0);
    const page = new Uint8Array(PAGE);
    getCodec('lz4').decode(jsBlock.subarray(0, jsSize), page);
    expect(sameBytes(page, cur)).toBe(true);
  });

  it('snappy blocks are genuine Snappy: the async entry points read ours and write blocks we read', async () => {
    const cur = textPage(31);
    const out = new Uint8Array(2 * PAGE);
    const size = getCodec('snappy').encode(null, cur, out);
    const viaAsync = await snappyAsync.uncompress(out.subarray(0, size), SNAPPY_DECODE);
    expect(sameBytes(viaAsync, cur)).toBe(true);
    const asyncBlock = await snappyAsync.compress(cur, { copyOutputData: true });
    const page = new Uint8Array(PAGE);
    getCodec('snappy').decode(asyncBlock, page);
    expect(sameBytes(page, cur)).toBe(true);
    expect(sameBytes(snappy.compressSync(cur, { copyOutputData: true }), asyncBlock)).toBe(true);
  });
});

describe('xbrle: the WebAssembly kernel and the TypeScript encoder agree', () => {
  it('the registry codec uses the WebAssembly kernel', () => {
    expect((getCodec('xbrle') as XbrleCodec).kernel).toBe('wasm');
  });

  it('same result and bytes for random pairs, limits and alignments (fast-check)', () => {
    const wasm = new XbrleCodec({ kernel: 'wasm' });
    const js = new XbrleCodec({ kernel: 'js' });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2048 }).chain((words) =>
          fc.record({
            old: fc.uint8Array({ minLength: words * 8, maxLength: words * 8 }),
            edits: fc.array(fc.tuple(fc.nat({ max: words * 8 - 1 }), fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 255 }), fc.boolean()), { maxLength: 40 }),
            limit: fc.integer({ min: 0, max: 33000 }),
            offset: fc.integer({ min: 0, max: 15 }),
          }),
        ),
        ({ old, edits, limit, offset }) => {
          const size = old.length;
          const oldPage = new Uint8Array(size + 16).subarray(offset, offset + size);
          oldPage.set(old);
          const curPage = new Uint8Array(size + 16).subarray(offset, offset + size);
          curPage.set(old);
          for (const [at, length, mask, constant] of edits) {
            // constant: long runs of one XOR value (exercises the 255 cap); else per-byte values
            for (let i = at; i < Math.min(size, at + length); i++) curPage[i] = constant ? oldPage[i]! ^ mask : (curPage[i]! + i) & 0xff;
          }
          const outWasm = new Uint8Array(limit);
          const outJs = new Uint8Array(limit);
          const sizeWasm = wasm.encode(oldPage, curPage, outWasm);
          expect(sizeWasm).toBe(js.encode(oldPage, curPage, outJs));
          if (sizeWasm > 0) {
            expect(sameBytes(outWasm.subarray(0, sizeWasm), outJs.subarray(0, sizeWasm))).toBe(true);
            const page = oldPage.slice();
            wasm.decode(outWasm.subarray(0, sizeWasm), page);
            expect(sameBytes(page, curPage)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
