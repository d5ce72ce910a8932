/**
 * The project's native addon of delta kernels (codecs/addon, built by npm install): used for
 * pages that are not kernel-visible, and safe against arguments the TypeScript side would
 * never pass. Its agreement with the TypeScript codec is in xbzrle.test.ts.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocatePages } from '../../codecs/page-memory.js';
import { getCodec } from '../../codecs/registry.js';
import { type DeltaAddon, deltaAddon, deltaAddonStatus, deltaFastCalls, lz4 } from '../../codecs/native.js';
import { XbrleCodec } from '../../codecs/xbrle.js';
import { XbzrleCodec } from '../../codecs/xbzrle.js';

const THP = '/sys/kernel/mm/transparent_hugepage/enabled';

if (deltaAddon === null) console.log(`skipping the native addon tests: ${deltaAddonStatus}`);

describe.skipIf(deltaAddon === null)('the native delta addon', () => {
  const addon = deltaAddon!;

  it('is what the registry codec uses for ordinary pages', () => {
    expect((getCodec('xbzrle') as XbzrleCodec).ordinaryPagePath).toBe('native addon');
    expect(deltaAddonStatus).toMatch(/^native addon \(build\/Release\/pagedelta_kernels\.node, XBRLE encoder (sse2|word-at-a-time), (V8 fast API calls|Node-API calls \(.+\))\)$/);
    // On Node 20's V8 the per-page calls are fast calls (fast-calls.cc declares its types for it).
    if (process.versions.v8.startsWith('11.3.')) expect(deltaFastCalls?.fastCalls).toBe(true);
    expect((getCodec('xbrle') as XbrleCodec).ordinaryPagePath).toBe('native addon');
    // Every x86-64 compiler targets SSE2; elsewhere the scalar kernels.
    if (process.arch === 'x64') expect(addon.simd).toBe('sse2');
  });

  it('xbrle: a hand-made pair as (count, XOR byte) pairs over the whole page; limits; identical pages', () => {
    const old = new Uint8Array(64);
    const cur = old.slice();
    cur[5] = 7;
    cur[6] = 9;
    const out = new Uint8Array(64);
    expect(addon.xbrleEncode(old, cur, out)).toBe(8);
    expect(Array.from(out.subarray(0, 8))).toEqual([5, 0, 1, 7, 1, 9, 57, 0]);
    expect(addon.xbrleEncode(old, cur, new Uint8Array(7))).toBe(-1);
    expect(addon.xbrleEncode(old, old, out)).toBe(0);
    // 600 equal XOR bytes: runs of at most 255.
    const long = new Uint8Array(600).fill(3);
    expect(addon.xbrleEncode(new Uint8Array(600), long, out)).toBe(6);
    expect(Array.from(out.subarray(0, 6))).toEqual([255, 3, 255, 3, 90, 3]);
  });

  it('encoders: the same bytes and results as the TypeScript encoders for any length, edit and limit (fast-check)', () => {
    const jsXbzrle = new XbzrleCodec({ kernel: 'js' });
    const jsXbrle = new XbrleCodec({ kernel: 'js' });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 700 }).chain((size) =>
          fc.record({
            old: fc.uint8Array({ minLength: size, maxLength: size }),
            edits: fc.array(fc.tuple(fc.nat({ max: size - 1 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
            limit: fc.integer({ min: 0, max: 1600 }),
            offset: fc.nat({ max: 15 }),
          }),
        ),
        ({ old, edits, limit, offset }) => {
          // Pages at any alignment, and nothing readable past them but what the test owns.
          const region = new Uint8Array(offset + 2 * old.length);
          const oldPage = region.subarray(offset, offset + old.length);
          const cur = region.subarray(offset + old.length);
          oldPage.set(old);
          cur.set(old);
          // XOR masks of 0 leave a byte as it was; runs of one value come from equal masks.
          for (const [at, length, mask] of edits) for (let i = at; i < Math.min(cur.length, at + length); i++) cur[i] = old[i]! ^ mask;
          for (const [encode, js] of [
            [addon.xbzrleEncode, jsXbzrle],
            [addon.xbrleEncode, jsXbrle],
          ] as const) {
            const out = new Uint8Array(limit + 8).fill(0xa5);
            const expected = new Uint8Array(limit);
            const size = js.encode(old, cur.slice(), expected);
            expect(encode(oldPage, cur, out.subarray(0, limit))).toBe(size);
            if (size > 0) expect(Array.from(out.subarray(0, size))).toEqual(Array.from(expected.subarray(0, size)));
            expect(out.subarray(limit).every((byte) => byte === 0xa5)).toBe(true);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('the Node-API module\'s own per-page calls (used where fast calls are not) give the TypeScript codecs\' results (fast-check)', () => {
    // deltaAddon's per-page calls are the fast-call module's where it loaded: the Node-API
    // module's are read from its file, so that both paths stay tested on any V8.
    const nodeApi = createRequire(import.meta.url)(join(import.meta.dirname, '..', '..', 'build', 'Release', 'pagedelta_kernels.node')) as DeltaAddon;
    const jsXbzrle = new XbzrleCodec({ kernel: 'js' });
    const jsXbrle = new XbrleCodec({ kernel: 'js' });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 5000 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 255 })), { maxLength: 12 }), fc.nat({ max: 15 }), (old, edits, offset) => {
        const region = new Uint8Array(offset + 2 * old.length);
        const oldPage = region.subarray(offset, offset + old.length);
        const cur = region.subarray(offset + old.length);
        oldPage.set(old);
        cur.set(old);
        for (const [at, length, mask] of edits) for (let i = at % old.length; i < Math.min(old.length, (at % old.length) + length); i++) cur[i] = old[i]! ^ mask;
        for (const [encode, js] of [
          [nodeApi.xbzrleEncode, jsXbzrle],
          [nodeApi.xbrleEncode, jsXbrle],
        ] as const) {
          const out = new Uint8Array(2 * old.length + 8);
          const expected = new Uint8Array(out.length);
          const size = js.encode(old, cur.slice(), expected);
          expect(encode(oldPage, cur, out)).toBe(size);
          expect(Array.from(out.subarray(0, size))).toEqual(Array.from(expected.subarray(0, size)));
        }
        const delta = new Uint8Array(2 * old.length + 8);
        const size = jsXbzrle.encode(old, cur.slice(), delta);
        const page = old.slice();
        expect(nodeApi.xbzrleDecode(delta.subarray(0, size), page)).toBe(1);
        expect(Array.from(page)).toEqual(Array.from(cur));
      }),
      { numRuns: 300 },
    );
    expect(nodeApi.xbzrleDecode(Uint8Array.of(60, 5, 1, 2, 3, 4, 5), new Uint8Array(64))).toBe(0);
    expect(nodeApi.xbzrleEncode(new Uint8Array(8), new Uint8Array(4), new Uint8Array(8))).toBe(-2);
  });

  it('encodes and decodes a hand-made pair: 5 unchanged, 2 changed, then unchanged to the end', () => {
    const old = new Uint8Array(64);
    const cur = old.slice();
    cur[5] = 7;
    cur[6] = 9;
    const out = new Uint8Array(64);
    expect(addon.xbzrleEncode(old, cur, out)).toBe(4);
    expect(Array.from(out.subarray(0, 4))).toEqual([5, 2, 7, 9]);
    expect(addon.xbzrleEncode(old, cur, new Uint8Array(3))).toBe(-1); // does not fit
    expect(addon.xbzrleEncode(old, old, out)).toBe(0);
    const page = old.slice();
    expect(addon.xbzrleDecode(out.subarray(0, 4), page)).toBe(1);
    expect(page).toEqual(cur);
    // Past the page: refused whole, the page left as it was.
    const before = page.slice();
    expect(addon.xbzrleDecode(Uint8Array.of(60, 5, 1, 2, 3, 4, 5), page)).toBe(0);
    expect(page).toEqual(before);
  });

  it('works on kernel-visible memory too, and on Buffers', () => {
    const pages = allocatePages(2, 4096);
    pages[4096 + 100] = 1;
    const out = Buffer.alloc(4096);
    expect(addon.xbzrleEncode(pages.subarray(0, 4096), pages.subarray(4096), out)).toBe(3);
    expect(Array.from(out.subarray(0, 3))).toEqual([100, 1, 1]); // 100 unchanged, 1 changed: 01
    const copy = allocatePages(1, 4096);
    expect(addon.xbzrleDecode(out.subarray(0, 3), copy)).toBe(1);
    expect(copy).toEqual(pages.subarray(4096));
  });

  it('refuses what is not a pair of Uint8Arrays of one length: -2, nothing written', () => {
    const page = new Uint8Array(16);
    const out = new Uint8Array(32);
    const refusals: Array<[string, () => number]> = [
      ['an object', () => addon.xbzrleEncode({} as Uint8Array, page, out)],
      ['an Int32Array', () => addon.xbzrleEncode(new Int32Array(4) as unknown as Uint8Array, page, out)],
      ['a DataView', () => addon.xbzrleEncode(page, page, new DataView(new ArrayBuffer(8)) as unknown as Uint8Array)],
      ['pages of different lengths', () => addon.xbzrleEncode(page, new Uint8Array(8), out)],
      ['empty pages', () => addon.xbzrleEncode(new Uint8Array(0), new Uint8Array(0), out)],
      ['missing arguments', () => (addon.xbzrleEncode as unknown as (a: Uint8Array) => number)(page)],
      ['a decode into a number', () => addon.xbzrleDecode(page, 42 as unknown as Uint8Array)],
      ['an XBRLE encode of an object', () => addon.xbrleEncode({} as Uint8Array, page, out)],
      ['an XBRLE encode of pages of different lengths', () => addon.xbrleEncode(page, new Uint8Array(8), out)],
      ['an XBRLE encode of empty pages', () => addon.xbrleEncode(new Uint8Array(0), new Uint8Array(0), out)],
      ['an XBRLE encode into a DataView', () => addon.xbrleEncode(page, page, new DataView(new ArrayBuffer(8)) as unknown as Uint8Array)],
    ];
    for (const [what, call] of refusals) expect(call(), what).toBe(-2);
    expect(out.every((byte) => byte === 0)).toBe(true);
  });

  it("crc32: zlib's value for any bytes, start and length (the carry-less folds and the byte table), continued or not", () => {
    // The check value of the CRC-32 catalogue, and a run past every fold stage (64-byte steps,
    // 16-byte steps, a 0-15 byte tail) at every start within a word.
    expect(addon.crc32(new TextEncoder().encode('123456789'), 0)).toBe(0xcbf43926);
    if (process.arch === 'x64') expect(addon.crc32Clmul).toBe(true);
    const bytes = new Uint8Array(4096 + 64);
    for (let k = 0; k < bytes.length; k++) bytes[k] = (k * 2654435761) >>> 24;
    for (let start = 0; start < 4; start++) {
      for (let length = 0; length <= 4096; length += length < 300 ? 1 : 61) {
        const part = bytes.subarray(start, start + length);
        expect(addon.crc32(part, 0), `${start}+${length}`).toBe(crc32(part));
      }
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(200), fc.integer({ min: 0, max: 0xffffffff }), (data, cut, previous) => {
        const at = Math.min(cut, data.length);
        // Continuing from the CRC of a first part gives the CRC of the whole.
        const whole = addon.crc32(data, previous);
        // (zlib answers 0 for an empty array that has no memory behind it; the CRC of nothing is `previous`.)
        expect(whole).toBe(data.length === 0 ? previous : crc32(data, previous));
        expect(addon.crc32(data.subarray(at), addon.crc32(data.subarray(0, at), previous))).toBe(whole);
      }),
      { numRuns: 300 },
    );
    const refusals: Array<[string, () => number]> = [
      ['a string', () => addon.crc32('abc' as unknown as Uint8Array, 0)],
      ['a negative previous value', () => addon.crc32(bytes, -1)],
      ['a previous value past 32 bits', () => addon.crc32(bytes, 2 ** 32)],
      ['a fractional previous value', () => addon.crc32(bytes, 1.5)],
      ['a missing previous value', () => (addon.crc32 as unknown as (a: Uint8Array) => number)(bytes)],
    ];
    for (const [what, call] of refusals) expect(call(), what).toBe(-2);
  });

  it('xorLz4Record counts the pages of a record it parsed whole into the counts given (none of one it leaves to the reader), and refuses counts without a slot for every page', () => {
    // Entries: page 3 zeroed, page 5 unchanged, page 3 again unchanged (page deltas +3, +2, -2 zigzag-coded).
    const payload = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 6, 0, 4, 3, 3, 3);
    const arrays = () => [new Float64Array(3), new Uint8Array(3), new Int32Array(3), new Int32Array(3), new Int32Array(12), new Float64Array(3)] as const;
    const parse = (bytes: Uint8Array, counts: unknown): number => {
      const [pages, kinds, at, size, jobs, offsets] = arrays();
      return addon.xorLz4Record(bytes, 3, 8, 4096, 2048, pages, kinds, at, size, jobs, offsets, -1, 0, counts as Uint32Array);
    };
    const counts = new Uint32Array(8);
    expect(parse(payload, counts)).toBe(0); // no blocks to queue
    expect(Array.from(counts)).toEqual([0, 0, 0, 2, 0, 1, 0, 0]);
    expect(parse(payload, null)).toBe(0);
    // A byte that is no kind: left to the reader's parser, nothing counted.
    const bad = payload.slice();
    bad[15] = 9;
    expect(parse(bad, counts)).toBe(-1);
    expect(Array.from(counts)).toEqual([0, 0, 0, 2, 0, 1, 0, 0]);
    expect(parse(payload, new Uint32Array(7))).toBe(-2); // no slot for page 7
    expect(parse(payload, new Int32Array(8))).toBe(-2);
    expect(Array.from(counts)).toEqual([0, 0, 0, 2, 0, 1, 0, 0]);
  });

  it('advises huge pages for the 2 MiB-aligned interior of a buffer only, leaving its bytes as they were', () => {
    expect(addon.adviseHugePages(new Uint8Array(4096))).toBe(0); // no aligned 2 MiB inside
    const shared = new Uint8Array(new SharedArrayBuffer(8 << 20));
    shared[5] = 7;
    shared[(8 << 20) - 1] = 9;
    const advised = addon.adviseHugePages(shared);
    // A kernel built without transparent huge pages refuses (0); else the interior is advised
    // (whatever the mode, the advice is taken): at least 6 MiB of an 8 MiB buffer, whole 2 MiB units.
    if (!existsSync(THP)) expect(advised).toBe(0);
    else {
      expect(advised).toBeGreaterThanOrEqual(6 << 20);
      expect(advised % (2 << 20)).toBe(0);
    }
    expect([shared[5], shared[(8 << 20) - 1], shared[3 << 20]]).toEqual([7, 9, 0]);
    expect(addon.adviseHugePages(new Int32Array(1 << 20) as unknown as Uint8Array)).toBe(-2); // bytes only
  });

  it('frees its per-thread trace buffers when a worker thread ends (no growth per worker)', async () => {
    // Each worker applies a record whose 1024 pages are dense (512 held-back writes a page:
    // 8 MiB of write list); without the cleanup each ended worker leaked them (535 MB after 60).
    const native = new URL('../../dist/codecs/native.js', import.meta.url).href;
    const code = `
      const { deltaAddon, lz4 } = await import(${JSON.stringify(native)});
      const xor = new Uint8Array(4096);
      for (let k = 0; k < 4096; k += 3) xor[k] = 7;
      const block = new Uint8Array(lz4.encodeBound(4096));
      const size = lz4.encodeBlock(xor, block);
      const chunk = new Uint8Array(4096 * 1024);
      const jobs = new Int32Array(4 * 1024);
      const offsets = new Float64Array(1024);
      for (let j = 0; j < 1024; j++) { jobs.set([0, size, 0, 0], 4 * j); offsets[j] = j * 4096; }
      const result = deltaAddon.xorLz4Epoch(block.subarray(0, size), jobs, offsets, 1024, [chunk], 4096, null, true);
      if (result !== -1 || chunk[4096 * 1023 + 3] !== 7) throw new Error('not applied: ' + result);
    `;
    const { Worker } = await import('node:worker_threads');
    const runWorker = () =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(code, { eval: true });
        worker.once('error', reject);
        worker.once('exit', (exitCode) => (exitCode === 0 ? resolve() : reject(new Error(`worker exited ${exitCode}`))));
      });
    await runWorker(); // the first one's one-time costs
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 30; i++) await runWorker();
    expect((process.memoryUsage().rss - before) / 2 ** 20).toBeLessThan(120);
  }, 60_000);

  it('a record of more page writes than it holds back at once (2^20) is applied whole, in parts', () => {
    // 2100 dense blocks, 512 non-zero words each: 1.08M writes; pages 0..99 are named twice
    // (XORed twice: back to their bytes before).
    const xor = new Uint8Array(4096);
    for (let k = 0; k < 4096; k++) xor[k] = (k % 251) + 1;
    const block = new Uint8Array(lz4.encodeBound(4096));
    const size = lz4.encodeBlock(xor, block);
    const pages = 2000;
    const chunk = Uint8Array.from({ length: pages * 4096 }, (_, i) => i & 0x3f);
    const before = chunk.slice();
    const jobs = new Int32Array(4 * 2100);
    const offsets = new Float64Array(2100);
    for (let j = 0; j < 2100; j++) {
      jobs.set([0, size, 0, 0], 4 * j);
      offsets[j] = (j < pages ? j : j - pages) * 4096;
    }
    expect(addon.xorLz4Epoch(block.subarray(0, size), jobs, offsets, 2100, [chunk], 4096, null, true)).toBe(-1);
    for (const page of [0, 99, 100, 1999]) {
      const bytes = chunk.subarray(page * 4096, (page + 1) * 4096);
      const was = before.subarray(page * 4096, (page + 1) * 4096);
      expect(bytes, `page ${page}`).toEqual(page < 100 ? was : was.map((byte, k) => byte ^ xor[k]!));
    }
  });
});
