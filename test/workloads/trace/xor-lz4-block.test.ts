import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deltaAddon, deltaAddonStatus, lz4 } from '../../../codecs/native.js';
import { xorLz4Block } from '../../../workloads/trace/xor-lz4-block.js';

const hex = (text: string): Uint8Array => Uint8Array.from(text.split(' ').map((byte) => Number.parseInt(byte, 16)));

type Applied = { page: Uint8Array; changed: number; scratchClean: boolean };

/** Applies `block` to a copy of `page`; returns the result, the count, and whether scratch came back zero. */
function apply(block: Uint8Array, page: Uint8Array): Applied {
  const out = new Uint8Array(page.length + 8);
  out.set(page, 8); // at an offset, as pages sit inside a block of the image
  const scratch = new Uint8Array(page.length);
  const changed = xorLz4Block(block, 0, block.length, out, 8, page.length, scratch);
  return { page: out.subarray(8), changed, scratchClean: scratch.every((byte) => byte === 0) };
}

/**
 * The native twin (codecs/addon/xor-lz4-apply.h) on the same block, as one job of a record:
 * the block sits inside a payload and the page inside a chunk, both at offsets. Its scratch
 * is its own; that it comes back zero shows in the next call of the same test.
 */
function applyNative(block: Uint8Array, page: Uint8Array): Applied {
  const payload = new Uint8Array(block.length + 5);
  payload.set(block, 3);
  const chunk = new Uint8Array(page.length * 3);
  chunk.set(page, page.length);
  const changed = new Int32Array(4);
  const result = deltaAddon!.xorLz4Epoch(payload, Int32Array.of(3, block.length, 0, 2), Float64Array.of(page.length), 1, [chunk], page.length, changed, true);
  return { page: chunk.subarray(page.length, 2 * page.length), changed: result === -1 ? changed[2]! : result === 0 ? -1 : -100, scratchClean: true };
}

if (deltaAddon === null) console.log(`skipping the native XOR+LZ4 kernel's tests: ${deltaAddonStatus}`);
const appliers: Array<[string, (block: Uint8Array, page: Uint8Array) => Applied]> = [['TypeScript', apply]];
if (deltaAddon !== null) appliers.push(['native', applyNative]);

describe.each(appliers)('xorLz4Block (%s): an LZ4 XOR delta applied straight to the page', (_name, apply) => {
  it('hand-made 32-byte blocks: a zero run, a repeated pattern (overlapping match), a copy of earlier bytes', () => {
    // Each keeps the format's parsing restrictions (no match starting in the last 12 bytes or
    // reaching the last 5), as the LZ4 library, which decodes each the same, requires.
    const page = Uint8Array.from({ length: 32 }, (_, i) => i);
    const decodes = (block: Uint8Array): Uint8Array => {
      const out = new Uint8Array(32);
      expect(lz4.decodeBlock(block, out)).toBe(32);
      return out;
    };
    // 1 literal (0), a 26-byte match at offset 1 (zeros), then 5 literal zeros.
    const zeros = hex('1f 00 01 00 07 50 00 00 00 00 00');
    expect(decodes(zeros)).toEqual(new Uint8Array(32));
    expect(apply(zeros, page)).toEqual({ page, changed: 0, scratchClean: true });
    // Literals AB CD, an 18-byte match at offset 2 (ABAB...), then 12 literals.
    const patternBlock = hex('2e ab cd 02 00 c0 01 00 00 02 00 00 00 00 00 00 00 03');
    const patternDelta = decodes(patternBlock);
    expect([...patternDelta.subarray(0, 20)]).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 0xab : 0xcd)));
    const pattern = apply(patternBlock, page);
    expect([...pattern.page]).toEqual([...patternDelta].map((x, i) => x ^ i));
    expect(pattern.changed).toBe(23);
    expect(pattern.scratchClean).toBe(true);
    // Literals 11 22 00 00 33, a 5-byte match at offset 5 (the same five), then 22 zero literals.
    const copyBlock = hex(`51 11 22 00 00 33 05 00 f0 07 ${'00 '.repeat(22).trim()}`);
    const copy = apply(copyBlock, page);
    expect([...copy.page]).toEqual([...decodes(copyBlock)].map((x, i) => x ^ i));
    expect([...copy.page.subarray(0, 10)]).toEqual([0x11, 0x22, 0, 0, 0x33, 0x11, 0x22, 0, 0, 0x33].map((x, i) => x ^ i));
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
      // Parsing restrictions (the LZ4 library refuses these too):
      '1b 00 01 00 00', // a match reaching the end (the last 5 bytes must be literals)
      '26 ab cd 02 00 40 01 00 00 02', // a match reaching into the last 5 bytes
      '51 11 22 00 00 33 05 00 60 00 00 00 00 00 00', // a match starting in the last 12 bytes
    ]) {
      const block = bad === '' ? new Uint8Array(0) : hex(bad);
      expect(lz4.decodeBlock(block, new Uint8Array(16)), bad).not.toBe(16); // the library refuses it as well
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
      fc.array(fc.record({ at: fc.integer({ min: 0, max: pageSize - 1 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 20 }).map((unit) => Uint8Array.from({ length: unit.length * 40 }, (_, i) => unit[i % unit.length]!)) }), { maxLength: 4 }),
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

describe.skipIf(deltaAddon === null)('the native XOR+LZ4 kernel on blocks over an eighth of a page (decoded whole)', () => {
  it('takes a block only where the LZ4 library decodes it to one page, with the same bytes (property, with mutated blocks)', () => {
    const pageSize = 4096;
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: pageSize - 1 }), value: fc.integer({ min: 1, max: 255 }) }), { minLength: 300, maxLength: 2500 }),
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 3 }),
        (writes, mutations) => {
          const xor = new Uint8Array(pageSize);
          for (const write of writes) xor[write.at] = write.value;
          const out = new Uint8Array(lz4.encodeBound(pageSize));
          const block = out.slice(0, lz4.encodeBlock(xor, out));
          for (const mutation of mutations) block[mutation.at % block.length] = mutation.value;
          if (block.length <= pageSize / 8) return; // the other method's (tested above)
          const page = Uint8Array.from({ length: pageSize }, (_, i) => (i * 5) & 255);
          const native = applyNative(block, page);
          const decoded = new Uint8Array(pageSize);
          const library = lz4.decodeBlock(block, decoded);
          if (native.changed < 0) {
            // Refused: the page untouched (the reader then asks the library, which decides).
            expect(native.page).toEqual(page);
            return;
          }
          expect(library).toBe(pageSize);
          expect(native.page).toEqual(page.map((byte, i) => byte ^ decoded[i]!));
          expect(native.changed).toBe(decoded.filter((byte) => byte !== 0).length);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('refuses a dense block cut short or running past the page, and leaves the scratch clean for the next', () => {
    const pageSize = 4096;
    const xor = Uint8Array.from({ length: pageSize }, (_, i) => (i % 3 === 0 ? (i * 7) & 255 : 0));
    const out = new Uint8Array(lz4.encodeBound(pageSize));
    const block = out.slice(0, lz4.encodeBlock(xor, out));
    expect(block.length).toBeGreaterThan(pageSize / 8);
    const page = new Uint8Array(pageSize).fill(9);
    expect(applyNative(block.subarray(0, block.length - 3), page)).toMatchObject({ page, changed: -1 });
    const twice = new Uint8Array(pageSize * 2);
    const longer = new Uint8Array(lz4.encodeBound(2 * pageSize));
    twice.set(xor);
    twice.set(xor, pageSize);
    const tooLong = longer.slice(0, lz4.encodeBlock(twice, longer));
    expect(applyNative(tooLong, page)).toMatchObject({ page, changed: -1 });
    // The same kernel thread then applies a good block exactly (its scratch was cleared).
    const good = applyNative(block, page);
    expect(good.page).toEqual(page.map((byte, i) => byte ^ xor[i]!));
    expect(good.changed).toBe(xor.filter((byte) => byte !== 0).length);
  });

  it('clears what its 16-byte moves wrote past a page, so a larger page decoded next starts from zeros', () => {
    // A 512-byte page: 314 literals, a copy of the first 193 bytes (not overlapping: offset
    // 314) ending at byte 507, whose last 16-byte move reaches byte 522, then 5 literals.
    const small = 512;
    const literals = Uint8Array.from({ length: 314 }, (_, i) => (((i * 2654435761) >>> 24) | 1) & 255);
    const tail = Uint8Array.of(5, 6, 7, 8, 9);
    // Token 0xff (15 + more literals, 4 + 15 + more match bytes); 314 = 15 + 255 + 44 literals;
    // offset 314; 193 = 4 + 15 + 174 match bytes; then 5 literals.
    const block = Uint8Array.from([0xff, 255, 44, ...literals, 314 & 255, 314 >> 8, 174, 0x50, ...tail]);
    const xor = new Uint8Array(small);
    expect(lz4.decodeBlock(block, xor)).toBe(small);
    expect(block.length).toBeGreaterThan(small / 8);
    const page = new Uint8Array(small).fill(3);
    expect(applyNative(block, page).page).toEqual(page.map((byte, i) => byte ^ xor[i]!));
    // Then a 1024-byte page whose delta is one byte just past the first page's end: its word
    // is written from the scratch whole, so a byte left there would show.
    const large = 1024;
    const one = new Uint8Array(large);
    one[small + 2] = 1;
    const sparseOut = new Uint8Array(lz4.encodeBound(large));
    const sparse = sparseOut.slice(0, lz4.encodeBlock(one, sparseOut));
    const after = applyNative(sparse, new Uint8Array(large));
    expect(after.page).toEqual(one);
    expect(after.changed).toBe(1);
  });
});

describe.skipIf(deltaAddon === null)('the native XOR+LZ4 kernel over a record', () => {
  const pageSize = 64;
  /** An LZ4 block of the XOR delta that sets `bytes` at `at`. */
  function block(at: number, bytes: number[]): Uint8Array {
    const xor = new Uint8Array(pageSize);
    xor.set(bytes, at);
    const out = new Uint8Array(lz4.encodeBound(pageSize));
    return out.slice(0, lz4.encodeBlock(xor, out));
  }

  it('applies jobs in order into several chunks, stops at the first invalid block (earlier ones applied), and counts per entry', () => {
    const blocks = [block(0, [1, 2]), block(10, [3]), hex('1b 00 00 00 00'), block(20, [4, 5, 6])];
    const payload = new Uint8Array(blocks.reduce((sum, b) => sum + b.length, 0));
    const jobs = new Int32Array(4 * blocks.length);
    let at = 0;
    blocks.forEach((b, job) => {
      payload.set(b, at);
      jobs.set([at, b.length, job % 2, 10 + job], 4 * job);
      at += b.length;
    });
    const chunks = [new Uint8Array(2 * pageSize), new Uint8Array(2 * pageSize)];
    const offsets = Float64Array.of(0, pageSize, pageSize, 0);
    const changed = new Int32Array(16).fill(-7);
    // Job 2 (offset 0) is invalid: jobs 0 and 1 applied, 2 and 3 not.
    expect(deltaAddon!.xorLz4Epoch(payload, jobs, offsets, 4, chunks, pageSize, changed, true)).toBe(2);
    expect(Array.from(chunks[0]!.subarray(0, 2))).toEqual([1, 2]);
    expect(chunks[1]![pageSize + 10]).toBe(3);
    expect(chunks[1]!.subarray(0, 32).every((byte) => byte === 0)).toBe(true); // job 3's page untouched
    expect(Array.from(changed.subarray(10, 14))).toEqual([2, 1, -7, -7]);
    // The rest after the bad one, as the reader resumes; counting only (apply false) leaves pages alone.
    expect(deltaAddon!.xorLz4Epoch(payload, jobs.subarray(12), offsets.subarray(3), 1, chunks, pageSize, changed, false)).toBe(-1);
    expect(changed[13]).toBe(3);
    expect(chunks[1]!.subarray(0, 32).every((byte) => byte === 0)).toBe(true);
    expect(deltaAddon!.xorLz4Epoch(payload, jobs.subarray(12), offsets.subarray(3), 1, chunks, pageSize, null, true)).toBe(-1);
    expect(Array.from(chunks[1]!.subarray(20, 23))).toEqual([4, 5, 6]);
  });

  it('splits a record of many jobs over two threads with the results of one: pages, counts, the first invalid block in either half', () => {
    expect([1, 2]).toContain(deltaAddon!.xorLz4Threads());
    const size = 4096;
    const random = (() => {
      let state = 12345;
      return () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8) & 255;
    })();
    // 600 sparse blocks over 400 pages (some named twice), a few dense ones.
    const count = 600;
    const blocks: Uint8Array[] = [];
    for (let job = 0; job < count; job++) {
      const xor = new Uint8Array(size);
      const writes = job % 97 === 0 ? 200 : 1 + (random() % 6);
      for (let w = 0; w < writes; w++) xor.set([random() | 1, random(), random()], random() * 15);
      const out = new Uint8Array(lz4.encodeBound(size));
      blocks.push(out.slice(0, lz4.encodeBlock(xor, out)));
    }
    // Pages named again across the halves (the helper's writes applied after the caller's), or
    // each page once (the helper applies its own at the same time).
    let pageOf = (job: number) => (job * 7) % 400;
    const run = (threads: number, badJob: number, badArgsJob = -1) => {
      expect(deltaAddon!.xorLz4Threads(threads)).toBe(threads === 1 ? 1 : deltaAddon!.xorLz4Threads());
      const payload = new Uint8Array(blocks.reduce((sum, b) => sum + b.length, 0) + 8);
      const jobs = new Int32Array(4 * count);
      const offsets = new Float64Array(count);
      let at = 0;
      blocks.forEach((b, job) => {
        const bytes = job === badJob ? hex('1b 00 00 00 00') : b; // offset 0: invalid
        payload.set(bytes, at);
        jobs.set([at, job === badArgsJob ? payload.length : bytes.length, job % 2, job], 4 * job);
        offsets[job] = pageOf(job) * size;
        at += bytes.length;
      });
      const chunks = [0, 1].map((c) => Uint8Array.from({ length: count * size }, (_, i) => (i * (c + 3)) & 255));
      const changed = new Int32Array(count).fill(-1);
      const result = deltaAddon!.xorLz4Epoch(payload, jobs, offsets, count, chunks, size, changed, true);
      return { result, chunks, changed };
    };
    try {
      for (const [badJob, badArgsJob, distinct] of [[-1, -1, 0], [10, -1, 0], [450, -1, 0], [-1, 500, 0], [-1, -1, 1], [10, -1, 1], [450, -1, 1]]) {
        pageOf = distinct ? (job: number) => job : (job: number) => (job * 7) % 400;
        const one = run(1, badJob!, badArgsJob);
        const two = run(2, badJob!, badArgsJob);
        expect(one.result, `bad block ${badJob}, bad arguments ${badArgsJob}, distinct pages ${distinct}`).toBe(badJob >= 0 ? badJob : badArgsJob >= 0 ? -2 : -1);
        expect(two.result).toBe(one.result);
        expect(two.chunks[0]!.every((byte, i) => byte === one.chunks[0]![i])).toBe(true);
        expect(two.chunks[1]!.every((byte, i) => byte === one.chunks[1]![i])).toBe(true);
        expect(Array.from(two.changed)).toEqual(Array.from(one.changed));
      }
      // The counts and pages of a whole record are the TypeScript decoder's.
      pageOf = (job: number) => (job * 7) % 400;
      const whole = run(2, -1);
      const expected = [0, 1].map((c) => Uint8Array.from({ length: count * size }, (_, i) => (i * (c + 3)) & 255));
      const scratch = new Uint8Array(size);
      blocks.forEach((b, job) => {
        expect(xorLz4Block(b, 0, b.length, expected[job % 2]!, ((job * 7) % 400) * size, size, scratch)).toBe(whole.changed[job]);
      });
      expect(whole.chunks[0]!.every((byte, i) => byte === expected[0]![i])).toBe(true);
      expect(whole.chunks[1]!.every((byte, i) => byte === expected[1]![i])).toBe(true);
    } finally {
      deltaAddon!.xorLz4Threads(2);
    }
  });

  it('refuses arguments that would reach outside the payload, a chunk or the counts (-2), before touching anything', () => {
    const b = block(0, [9]);
    const chunk = new Uint8Array(pageSize);
    const call = (jobs: number[], offset: number, options: { chunks?: unknown; changed?: Int32Array | null; pageSize?: number; count?: number } = {}) =>
      deltaAddon!.xorLz4Epoch(b, Int32Array.from(jobs), Float64Array.of(offset), options.count ?? 1, (options.chunks ?? [chunk]) as Uint8Array[], options.pageSize ?? pageSize, options.changed === undefined ? new Int32Array(1) : options.changed, true);
    expect(call([0, b.length + 1, 0, 0], 0)).toBe(-2); // block past the payload
    const huge = new Uint8Array((1 << 20) + 1).fill(0xff); // a block over 1 MiB: its length sum could overflow
    expect(deltaAddon!.xorLz4Epoch(huge, Int32Array.of(0, huge.length, 0, 0), Float64Array.of(0), 1, [chunk], pageSize, null, true)).toBe(-2);
    expect(call([-1, b.length, 0, 0], 0)).toBe(-2);
    expect(call([0, b.length, 1, 0], 0)).toBe(-2); // no chunk 1
    expect(call([0, b.length, 0, 0], 1)).toBe(-2); // page past the chunk
    expect(call([0, b.length, 0, 0], 0.5)).toBe(-2); // not a whole offset
    expect(call([0, b.length, 0, 1], 0)).toBe(-2); // entry past the counts
    expect(call([0, b.length, 0, 0], 0, { count: 2 })).toBe(-2); // more jobs than given
    expect(call([0, b.length, 0, 0], 0, { chunks: [new Int32Array(16)] })).toBe(-2); // not bytes
    expect(call([0, b.length, 0, 0], 0, { pageSize: 1 << 17 })).toBe(-2); // page larger than the kernel takes
    for (const size of [0, 3, 7, 12, 100, 4095, 64.5]) expect(call([0, b.length, 0, 0], 0, { pageSize: size }), `page size ${size}`).toBe(-2); // not a power of two of at least 8
    for (const count of [Number.NaN, Number.POSITIVE_INFINITY, 1.5, -1, 2 ** 32 + 1]) expect(call([0, b.length, 0, 0], 0, { count }), `count ${count}`).toBe(-2);
    expect(chunk.every((byte) => byte === 0)).toBe(true);
    expect(call([0, b.length, 0, 0], 0)).toBe(-1);
    expect(chunk[0]).toBe(9);
  });
});
