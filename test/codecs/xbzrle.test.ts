import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../codecs/codec.js';
import { deltaAddon, deltaAddonStatus, deltaFastCalls } from '../../codecs/native.js';
import { getCodec } from '../../codecs/registry.js';
import { readUlebSmall, writeUlebSmall, XBZRLE_MAX_RUN, XbzrleCodec } from '../../codecs/xbzrle.js';
import { canonicalPagePairs, SCENARIOS } from '../../workloads/scenarios.js';

const codec = getCodec('xbzrle');

/** Obviously-correct XBZRLE encoder written from the format description, byte at a time. */
function referenceEncode(old: Uint8Array, cur: Uint8Array): number[] | 0 | -1 {
  const out: number[] = [];
  const uleb = (value: number): void => {
    if (value < 0x80) out.push(value);
    else out.push((value & 0x7f) | 0x80, value >> 7);
  };
  let i = 0;
  while (i < cur.length) {
    let zero = 0;
    while (i < cur.length && old[i] === cur[i]) {
      zero++;
      i++;
    }
    if (i === cur.length) break;
    if (zero > XBZRLE_MAX_RUN) return -1;
    uleb(zero);
    const start = i;
    while (i < cur.length && old[i] !== cur[i]) i++;
    if (i - start > XBZRLE_MAX_RUN) return -1;
    uleb(i - start);
    for (let k = start; k < i; k++) out.push(cur[k]!);
  }
  return out.length === 0 ? 0 : out;
}

function encodeToArray(old: Uint8Array, cur: Uint8Array, limit = 2 * cur.length + 16): number[] | number {
  const out = new Uint8Array(limit);
  const size = codec.encode(old, cur, out);
  return size > 0 ? [...out.subarray(0, size)] : size;
}

/** Byte equality without vitest's deep-equality machinery (which is slow on 4 KiB arrays). */
function sameBytes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const hex = (text: string): number[] => text.split(/\s+/).filter(Boolean).map((byte) => Number.parseInt(byte, 16));

describe('xbzrle: QEMU vectors', () => {
  it('encodes the golden 24-byte vector of docs/xbzrle.txt and decodes it back', () => {
    const old = new Uint8Array(4096);
    const cur = new Uint8Array(4096);
    old.set(hex('05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 68 00 00 6b 00 6d'), 1001);
    cur.set(hex('01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 68 00 00 67 00 69'), 1001);
    const expected = hex('e9 07 0f 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 03 01 67 01 01 69');
    expect(encodeToArray(old, cur)).toEqual(expected);
    const page = old.slice();
    codec.decode(Uint8Array.from(expected), page);
    expect(page).toEqual(cur);
  });

  it('round-trips every small ULEB128 value 0..0x3fff and rejects 80 80', () => {
    const buffer = new Uint8Array(2);
    for (let value = 0; value <= XBZRLE_MAX_RUN; value++) {
      const written = writeUlebSmall(buffer, 0, value);
      expect(written).toBe(value < 0x80 ? 1 : 2);
      expect(readUlebSmall(buffer, 0)).toEqual([value, written]);
    }
    expect(() => readUlebSmall(Uint8Array.from([0x80, 0x80]), 0)).toThrow(/longer than 2 bytes/);
    expect(() => writeUlebSmall(buffer, 0, 0x4000)).toThrow(RangeError);
    expect(writeUlebSmall(new Uint8Array(1), 0, 0x80)).toBe(-1);
  });

  it('returns 0 for identical pages and writes nothing', () => {
    const page = new Uint8Array(4096).fill(7);
    const out = new Uint8Array(16).fill(0xaa);
    expect(codec.encode(page, page.slice(), out)).toBe(0);
    expect(out.every((byte) => byte === 0xaa)).toBe(true);
  });

  it('encodes a change of the last byte as ff 1f 01 01', () => {
    const old = new Uint8Array(4096);
    const cur = new Uint8Array(4096);
    cur[4095] = 1;
    expect(encodeToArray(old, cur)).toEqual([0xff, 0x1f, 0x01, 0x01]);
  });

  it('overflows (-1) when every even byte changes and the limit is the page size', () => {
    const old = new Uint8Array(4096);
    const cur = new Uint8Array(4096);
    for (let i = 0; i < 2047; i++) cur[2 * i] = 1;
    expect(codec.encode(old, cur, new Uint8Array(4096))).toBe(-1);
  });

  it('reproduces the exact canonical sizes 59 / 215 / 918 / 1530 bytes', () => {
    const expected: Record<string, number> = { SPARSE: 59, MEDIUM: 215, DENSE: 918, 'VERY-DENSE': 1530 };
    for (const scenario of SCENARIOS) {
      const { oldPages, newPages } = canonicalPagePairs(scenario, 4);
      for (let page = 0; page < 4; page++) {
        const old = oldPages.subarray(page * 4096, (page + 1) * 4096);
        const cur = newPages.subarray(page * 4096, (page + 1) * 4096);
        expect(codec.encode(old, cur, new Uint8Array(4096)), `${scenario.name} page ${page}`).toBe(expected[scenario.name]);
      }
    }
  });

  for (const [name, options] of [
    ['wasm', { kernel: 'wasm', native: false }],
    ['native', {}],
    ['js', { kernel: 'js' }],
  ] as const)
  it(`${name}: round-trips 10,000 random page pairs and matches the reference encoder byte for byte`, (context) => {
    if (name === 'native' && deltaAddon === null) return context.skip(deltaAddonStatus);
    const codec = new XbzrleCodec(options);
    expect(codec.ordinaryPagePath).toBe(name === 'wasm' ? 'wasm copy' : name === 'native' ? 'native addon' : 'js');
    // Kernel-visible pages go to the addon too when its calls are fast calls.
    expect(codec.kernelVisiblePagePath).toBe(name === 'wasm' ? 'wasm in place' : name === 'native' ? (deltaFastCalls !== null ? 'native addon' : 'wasm in place') : 'js');
    let state = 12345;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 8;
    };
    const old = new Uint8Array(4096);
    const cur = new Uint8Array(4096);
    const out = new Uint8Array(4096);
    const page = new Uint8Array(4096);
    for (let trial = 0; trial < 10_000; trial++) {
      for (let i = 0; i < 4096; i++) old[i] = random() & 0xff;
      cur.set(old);
      const changes = random() % 200;
      for (let c = 0; c < changes; c++) {
        const start = random() % 4096;
        const length = 1 + (random() % 64);
        for (let i = start; i < Math.min(4096, start + length); i++) cur[i] = random() & 0xff;
      }
      const size = codec.encode(old, cur, out);
      const reference = referenceEncode(old, cur);
      const expectedSize = typeof reference === 'number' ? reference : reference.length > 4096 ? -1 : reference.length;
      if (size !== expectedSize) expect(size, `trial ${trial}`).toBe(expectedSize);
      if (size > 0) {
        if (!sameBytes(out.subarray(0, size), reference as number[])) expect.fail(`trial ${trial}: encoding differs from the reference`);
        page.set(old);
        codec.decode(out.subarray(0, size), page);
        if (!sameBytes(page, cur)) expect.fail(`trial ${trial}: decoded page differs`);
      }
    }
  });
});

describe('xbzrle: property-based round trips (fast-check)', () => {
  /** A page size (multiple of 8, 8..16384), an old page, and a list of changed regions. */
  const pagePair = fc
    .integer({ min: 1, max: 2048 })
    .chain((words) =>
      fc.record({
        old: fc.uint8Array({ minLength: words * 8, maxLength: words * 8 }),
        changes: fc.array(
          fc.record({ offset: fc.nat({ max: words * 8 - 1 }), length: fc.integer({ min: 1, max: 300 }), value: fc.integer({ min: 0, max: 255 }), mode: fc.constantFrom('set', 'increment', 'xor') }),
          { maxLength: 40 },
        ),
        misalign: fc.integer({ min: 0, max: 7 }),
      }),
    );

  it('decode(encode(old, new)) == new, equal to the reference encoding, never past the limit', () => {
    fc.assert(
      fc.property(pagePair, fc.integer({ min: 0, max: 20000 }), ({ old, changes, misalign }, limit) => {
        const size = old.length;
        // Place the pages at an arbitrary byte offset to exercise the unaligned paths too.
        const oldBacking = new Uint8Array(size + 8);
        const curBacking = new Uint8Array(size + 8);
        const oldPage = oldBacking.subarray(misalign, misalign + size);
        const curPage = curBacking.subarray(misalign, misalign + size);
        oldPage.set(old);
        curPage.set(old);
        for (const change of changes) {
          for (let i = change.offset; i < Math.min(size, change.offset + change.length); i++) {
            if (change.mode === 'set') curPage[i] = change.value;
            else if (change.mode === 'increment') curPage[i] = (curPage[i]! + 1) & 0xff;
            else curPage[i] = curPage[i]! ^ change.value;
          }
        }
        const outBacking = new Uint8Array(limit + 16).fill(0xee);
        const out = outBacking.subarray(0, limit);
        const encoded = codec.encode(oldPage, curPage, out);
        // Nothing past the limit is ever written.
        expect(outBacking.subarray(limit).every((byte) => byte === 0xee)).toBe(true);
        const reference = referenceEncode(oldPage, curPage);
        if (reference === 0) expect(encoded).toBe(0);
        else if (reference === -1 || reference.length > limit) expect(encoded).toBe(-1);
        else {
          expect(encoded).toBe(reference.length);
          expect(sameBytes(out.subarray(0, encoded), reference)).toBe(true);
          const page = oldPage.slice();
          codec.decode(out.subarray(0, encoded), page);
          expect(sameBytes(page, curPage)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('the limit contract holds at and around the encoded size', () => {
    fc.assert(
      fc.property(pagePair, ({ old, changes }) => {
        const cur = old.slice();
        for (const change of changes) cur[change.offset] = cur[change.offset]! ^ (change.value | 1);
        const full = encodeToArray(old, cur);
        if (typeof full === 'number') return;
        const size = full.length;
        for (const limit of [size - 2, size - 1, size, size + 1]) {
          if (limit < 0) continue;
          const result = codec.encode(old, cur, new Uint8Array(limit));
          expect(result).toBe(limit >= size ? size : -1);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('xbzrle: run-length limits', () => {
  it('a changed run longer than 0x3fff is an overflow (-1), whatever the limit', () => {
    const old = new Uint8Array(16384);
    const cur = new Uint8Array(16384).fill(1);
    expect(codec.encode(old, cur, new Uint8Array(40000))).toBe(-1);
  });

  it('an unchanged run of exactly 0x3fff before a change is expressible', () => {
    const old = new Uint8Array(16384);
    const cur = new Uint8Array(16384);
    cur[16383] = 9;
    expect(encodeToArray(old, cur)).toEqual([0xff, 0x7f, 0x01, 0x09]);
  });

  it('rejects pages over 16 KiB, empty pages and mismatched lengths', () => {
    expect(() => codec.encode(new Uint8Array(16392), new Uint8Array(16392), new Uint8Array(10))).toThrow(/exceeds the format's limit/);
    expect(() => codec.encode(new Uint8Array(0), new Uint8Array(0), new Uint8Array(10))).toThrow(/empty page/);
    expect(() => codec.encode(new Uint8Array(4096), new Uint8Array(2048), new Uint8Array(10))).toThrow(/length mismatch/);
    expect(() => codec.encode(null, new Uint8Array(64), new Uint8Array(10))).toThrow(/needs the old page/);
    expect(() => codec.decode(Uint8Array.from([0, 1, 5]), new Uint8Array(0))).toThrow(/empty page/);
  });
});

describe('xbzrle: decoder rejections (page left unchanged)', () => {
  const cases: Array<[string, number[], RegExp]> = [
    ['a single byte when a run pair is due', [0x05], /at least 2 bytes/],
    ['a trailing byte after a complete pair', [0x00, 0x01, 0x07, 0x05], /at least 2 bytes/],
    ['a zero unchanged run that is not first', [0x00, 0x01, 0x07, 0x00, 0x01, 0x08], /zero-length unchanged run/],
    ['a zero changed run', [0x05, 0x00], /zero-length changed run/],
    ['a 3-byte unchanged-run length', [0x80, 0x80, 0x01, 0x01, 0x01], /longer than 2 bytes/],
    ['a 3-byte changed-run length', [0x00, 0x80, 0x80, 0x01], /longer than 2 bytes/],
    ['a truncated 2-byte changed-run length', [0x00, 0x81], /second length byte missing/],
    ['an unchanged run past the page', [0xff, 0x7f, 0x01, 0x01], /runs past the 4096-byte page/],
    ['a changed run past the page', [0xff, 0x1f, 0x02, 0x01, 0x01], /runs past the 4096-byte page/],
    ['changed data past the input', [0x00, 0x05, 0x01, 0x02], /runs past the 4-byte input/],
  ];
  it.each(cases)('rejects %s', (_label, bytes, message) => {
    const page = new Uint8Array(4096).fill(3);
    const before = page.slice();
    let error: unknown;
    try {
      codec.decode(Uint8Array.from(bytes), page);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect((error as Error).message).toMatch(message);
    expect(sameBytes(page, before)).toBe(true);
  });

  it('an empty delta leaves the page as is (an identical page is never sent, but decodes to itself)', () => {
    const page = new Uint8Array(64).fill(1);
    codec.decode(new Uint8Array(0), page);
    expect(page.every((byte) => byte === 1)).toBe(true);
  });

  it('never throws anything but CodecError on random garbage, and never writes out of bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 512 }), (garbage, pageLength) => {
        const backing = new Uint8Array(pageLength + 16).fill(0x5a);
        const page = backing.subarray(0, pageLength);
        try {
          codec.decode(garbage, page);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
        expect(backing.subarray(pageLength).every((byte) => byte === 0x5a)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('xbzrle: the WebAssembly kernel, the native addon and the TypeScript encoder agree', () => {
  // Plain Uint8Arrays: the WebAssembly kernel copies them in; the default codec hands them to the addon when built.
  const wasm = new XbzrleCodec({ kernel: 'wasm', native: false });
  const native = deltaAddon === null ? null : new XbzrleCodec();
  const js = new XbzrleCodec({ kernel: 'js' });
  it('the registry codec uses the WebAssembly kernel', () => {
    expect((getCodec('xbzrle') as XbzrleCodec).kernel).toBe('wasm');
  });
  it('same result and bytes for random pairs, limits and alignments (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2048 }).chain((words) =>
          fc.record({
            old: fc.uint8Array({ minLength: words * 8, maxLength: words * 8 }),
            edits: fc.array(fc.tuple(fc.nat({ max: words * 8 - 1 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 255 })), { maxLength: 60 }),
            limit: fc.integer({ min: 0, max: 40000 }),
            offset: fc.integer({ min: 0, max: 15 }),
          }),
        ),
        ({ old, edits, limit, offset }) => {
          const size = old.length;
          const oldPage = new Uint8Array(size + 16).subarray(offset, offset + size);
          oldPage.set(old);
          const curPage = new Uint8Array(size + 16).subarray(offset, offset + size);
          curPage.set(old);
          for (const [at, length, mask] of edits) for (let i = at; i < Math.min(size, at + length); i++) curPage[i] = curPage[i]! ^ mask;
          const outWasm = new Uint8Array(limit);
          const outJs = new Uint8Array(limit);
          const sizeWasm = wasm.encode(oldPage, curPage, outWasm);
          const sizeJs = js.encode(oldPage, curPage, outJs);
          expect(sizeWasm).toBe(sizeJs);
          if (sizeJs > 0) expect(sameBytes(outWasm.subarray(0, sizeWasm), outJs.subarray(0, sizeJs))).toBe(true);
          if (native !== null) {
            const outNative = new Uint8Array(limit);
            const sizeNative = native.encode(oldPage, curPage, outNative);
            expect(sizeNative).toBe(sizeJs);
            if (sizeJs > 0) expect(sameBytes(outNative.subarray(0, sizeNative), outJs.subarray(0, sizeJs))).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('xbzrle: the committed WebAssembly binary', () => {
  it('is the compilation of codecs/wasm/delta-kernels.wat (run `npm run build:wasm` after editing the .wat)', async () => {
    const { readFileSync } = await import('node:fs');
    const { DELTA_KERNELS_WASM_BASE64 } = await import('../../codecs/wasm/delta-kernels-binary.js');
    const wabt = await (await import('wabt')).default();
    const text = readFileSync(new URL('../../codecs/wasm/delta-kernels.wat', import.meta.url), 'utf8');
    const module = wabt.parseWat('delta-kernels.wat', text, { simd: true, bulk_memory: true });
    expect(Buffer.from(module.toBinary({}).buffer).toString('base64')).toBe(DELTA_KERNELS_WASM_BASE64);
  });
});

describe('xbzrle: the WebAssembly decoder, the native addon and the TypeScript decoder agree', () => {
  const wasm = new XbzrleCodec({ kernel: 'wasm', native: false });
  const native = deltaAddon === null ? null : new XbzrleCodec();
  const js = new XbzrleCodec({ kernel: 'js' });

  function outcome(codec: XbzrleCodec, input: Uint8Array, start: Uint8Array): string {
    const page = start.slice();
    try {
      codec.decode(input, page);
      return `ok ${Buffer.from(page).toString('base64')}`;
    } catch (error) {
      expect(error).toBeInstanceOf(CodecError);
      expect(sameBytes(page, start)).toBe(true); // a failed decode leaves the page untouched
      return `error ${(error as Error).message}`;
    }
  }

  it('same page or same error on long valid, mutated and truncated deltas (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4096, maxLength: 4096 }),
        fc.array(fc.tuple(fc.nat({ max: 4095 }), fc.integer({ min: 1, max: 60 })), { minLength: 20, maxLength: 120 }),
        fc.array(fc.tuple(fc.nat({ max: 100_000 }), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.nat({ max: 5 }),
        (old, edits, mutations, cut) => {
          const cur = old.slice();
          for (const [at, length] of edits) for (let i = at; i < Math.min(4096, at + length); i++) cur[i] = cur[i]! ^ 0x5a;
          const out = new Uint8Array(8192);
          const size = js.encode(old, cur, out);
          if (size <= 0) return;
          const input = out.slice(0, Math.max(1, size - cut));
          for (const [at, value] of mutations) input[at % input.length] = value;
          expect(outcome(wasm, input, old)).toBe(outcome(js, input, old));
          if (native !== null) expect(outcome(native, input, old)).toBe(outcome(js, input, old));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random garbage of 384..3000 bytes is rejected or applied identically', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 384, maxLength: 3000 }), (garbage) => {
        const start = new Uint8Array(4096).fill(1);
        expect(outcome(wasm, garbage, start)).toBe(outcome(js, garbage, start));
        if (native !== null) expect(outcome(native, garbage, start)).toBe(outcome(js, garbage, start));
      }),
      { numRuns: 500 },
    );
  });
});
