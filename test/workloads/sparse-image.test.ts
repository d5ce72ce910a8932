/**
 * The sparse page image that trace info, validation and streaming decode into, and the epoch
 * decoder's two passes over a record (framing first, then pages).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOCK_PAGES, blockPagesFor, SparseImage } from '../../workloads/sparse-image.js';
import { PAGE_XOR_LZ4, PAGE_XOR_RAW, RECORD_EPOCH, TraceError } from '../../workloads/trace/format.js';
import { deltaAddon, lz4 } from '../../codecs/native.js';
import { SparseTarget, TraceFileReader } from '../../workloads/trace/reader.js';
import { writeTrace } from '../../workloads/trace/writer.js';
import { writeRandomPages } from './trace/random-page-writes.js';
import { joinTrace, splitTrace } from '../fuzz/trace-parts.js';

const dir = mkdtempSync(join(tmpdir(), 'pagedelta-sparse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(image: SparseImage, page: number, word: number, value: number): void {
  const block = image.block(page, true)!;
  block[image.wordOffset(page) + word] = value;
}

describe('SparseImage', () => {
  it('blocks stay within 64 MiB for large pages: a 1 MiB-page image holds 64 pages a block', () => {
    expect([512, 4096, 8192, 2 ** 20, 2 ** 24].map(blockPagesFor)).toEqual([BLOCK_PAGES, BLOCK_PAGES, 8192, 64, 4]);
    const image = new SparseImage(2 ** 20);
    write(image, 200, 5, 7); // block 3 (pages 192..255)
    expect(image.allocatedBytes).toBe(64 * 2 ** 20);
    expect(image.page(200)[20]).toBe(7);
    expect(image.nonZeroPages()).toBe(1);
  });

  it('counts the pages holding a non-zero byte, across blocks, and only those', () => {
    const image = new SparseImage(4096);
    write(image, 3, 1023, 1); // last word of a page
    write(image, BLOCK_PAGES + 5, 0, -1); // another block
    image.block(7, true); // handed out, never written
    write(image, 9, 10, 5);
    write(image, 9, 10, 0); // written, then zero again
    write(image, 2 ** 31, 512, 0x100); // far away: a block of its own, no scan of the range between
    expect(image.nonZeroPages()).toBe(3);
    expect(Array.from(image.page(3).subarray(4092))).toEqual([1, 0, 0, 0]);
    expect(image.page(4).every((byte) => byte === 0)).toBe(true);
  });

  it('holds at most its pages: the last block is cut at the page count', () => {
    const small = new SparseImage(4096, 100);
    write(small, 99, 0, 1);
    expect(small.allocatedBytes).toBe(100 * 4096);
    const unknown = new SparseImage(4096);
    write(unknown, 99, 0, 1);
    expect(unknown.allocatedBytes).toBe(BLOCK_PAGES * 4096);
    const twoBlocks = new SparseImage(4096, BLOCK_PAGES + 10);
    write(twoBlocks, 0, 0, 1);
    write(twoBlocks, BLOCK_PAGES + 9, 1023, 1);
    expect(twoBlocks.allocatedBytes).toBe((BLOCK_PAGES + 10) * 4096);
    expect(twoBlocks.nonZeroPages()).toBe(2);
  });

  it('writableBlock hands out the same zero page as block(page, true)', () => {
    const image = new SparseImage(4096);
    const block = image.writableBlock(BLOCK_PAGES + 3);
    expect(block).toBe(image.block(BLOCK_PAGES + 3, false));
    const base = image.wordOffset(BLOCK_PAGES + 3);
    expect(block.subarray(base, base + 1024).every((word) => word === 0)).toBe(true);
    expect(image.nonZeroPages()).toBe(0);
    block[base] = 2;
    expect(image.writableBlock(BLOCK_PAGES + 3)[base]).toBe(2); // a second call leaves the first word be
    expect(image.nonZeroPages()).toBe(1);
  });

  it('clear() forgets every page', () => {
    const image = new SparseImage(4096);
    write(image, 1, 0, 1);
    image.clear();
    expect(image.nonZeroPages()).toBe(0);
    expect(image.allocatedBytes).toBe(0);
  });
});

describe('decodeEpoch', () => {
  /** Reads a varint at `at`: [value, next offset]. */
  function varint(bytes: Uint8Array, at: number): [number, number] {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return [value, at];
      scale *= 128;
    }
  }

  it('a record whose framing is bad past its first entry changes no page', async () => {
    const path = join(dir, 'two.pdt');
    const page = new Uint8Array(4096);
    await writeTrace(path, { kind: 'content', pageSize: 4096, pageCount: 16, timeUnit: 'ms' }, (writer) => {
      writer.beginEpoch(0);
      writer.writePage(1, page.fill(7));
      writer.writePage(2, page.fill(8));
      writer.endEpoch();
    });
    const parts = splitTrace(new Uint8Array(readFileSync(path)));
    const epoch = parts.records.find((record) => record.type === RECORD_EPOCH)!;
    const payload = epoch.payload;
    // Entry 0: page delta varint, kind, block length varint, block; entry 1's kind follows its page delta.
    let at = varint(payload, 12)[1];
    expect(payload[at]).toBe(PAGE_XOR_LZ4);
    const [size, dataAt] = varint(payload, at + 1);
    at = varint(payload, dataAt + size)[1];
    expect(payload[at]).toBe(PAGE_XOR_LZ4);
    payload[at] = 9;
    const corrupt = join(dir, 'corrupt.pdt');
    writeFileSync(corrupt, joinTrace(parts));

    for (const [file, fails] of [
      [path, false],
      [corrupt, true],
    ] as const) {
      const reader = new TraceFileReader(file);
      const image = new SparseImage(4096, 16);
      try {
        let record = reader.next();
        while (record !== null && record.type !== RECORD_EPOCH) record = reader.next();
        const decode = () => reader.decodeEpoch(record!, new SparseTarget(image));
        if (fails) {
          expect(decode).toThrow(TraceError);
          expect(decode).toThrow(/entry 1 \(page 2\): a page kind 0-3, found 9/);
          expect(image.nonZeroPages()).toBe(0);
        } else {
          decode();
          expect([image.page(1)[100], image.page(2)[100]]).toEqual([7, 8]);
        }
      } finally {
        reader.close();
      }
    }
  });
  it('a page named twice in a record is decoded straight into its zeros once, then XORed', async () => {
    // Large blocks only (small ones always XOR in place): A compresses to an LZ4 block of more
    // than 512 bytes (8-byte words from a vocabulary of 64), B not at all (stored raw).
    let state = 7;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8;
    const vocabulary = Array.from({ length: 64 }, () => Array.from({ length: 8 }, () => next() & 255));
    const a = new Uint8Array(4096);
    for (let word = 0; word < 512; word++) a.set(vocabulary[next() % 64]!, word * 8);
    const b = Uint8Array.from({ length: 4096 }, () => next() & 255);
    const path = join(dir, 'twice.pdt');
    await writeTrace(path, { kind: 'content', pageSize: 4096, pageCount: 16, timeUnit: 'ms' }, (writer) => {
      writer.beginEpoch(0);
      writer.writePage(1, a);
      writer.writePage(2, b);
      writer.endEpoch();
    });
    const parts = splitTrace(new Uint8Array(readFileSync(path)));
    const payload = parts.records.find((record) => record.type === RECORD_EPOCH)!.payload;
    let at = varint(payload, 12)[1];
    expect(payload[at]).toBe(PAGE_XOR_LZ4);
    const [size, dataAt] = varint(payload, at + 1);
    expect(size).toBeGreaterThan(512);
    at = dataAt + size;
    expect(payload[at]).toBe(2); // entry 1's page delta: zigzag(+1)
    expect(payload[at + 1]).toBe(PAGE_XOR_RAW);
    payload[at] = 0; // zigzag(0): page 1 again
    const twice = join(dir, 'twice-crafted.pdt');
    writeFileSync(twice, joinTrace(parts));
    const reader = new TraceFileReader(twice);
    try {
      let record = reader.next();
      while (record !== null && record.type !== RECORD_EPOCH) record = reader.next();
      const image = new SparseImage(4096, 16);
      reader.decodeEpoch(record!, new SparseTarget(image), true);
      expect(Array.from(reader.pages.subarray(0, 2))).toEqual([1, 1]);
      const expected = a.map((byte, i) => byte ^ b[i]!);
      expect(image.page(1)).toEqual(expected);
      const nonZero = (bytes: Uint8Array) => bytes.filter((byte) => byte !== 0).length;
      expect(Array.from(reader.changedBytes.subarray(0, 2))).toEqual([nonZero(a), nonZero(b)]);
      expect(image.nonZeroPages()).toBe(1);
    } finally {
      reader.close();
    }
  });

  /** Every epoch of `file` decoded into a fresh image: the image and each record's changed-byte counts, or the error. */
  function decodeAll(file: string, native: boolean): { image: SparseImage; changed: number[]; error: string | null } {
    const reader = new TraceFileReader(file, { native });
    const image = new SparseImage(4096, 64);
    const changed: number[] = [];
    try {
      for (let record = reader.next(); record !== null; record = reader.next()) {
        if (record.type !== RECORD_EPOCH) continue;
        reader.decodeEpoch(record, new SparseTarget(image), true);
        changed.push(...reader.changedBytes.subarray(0, reader.count));
      }
      return { image, changed, error: null };
    } catch (error) {
      return { image, changed, error: (error as Error).message };
    } finally {
      reader.close();
    }
  }

  it.skipIf(deltaAddon === null)('the native XOR+LZ4 path and the TypeScript one give the same pages and counts, also up to a corrupt block', async () => {
    // Sparse writes, dense ones, pages zeroed, rewritten with their own bytes, and named again.
    const path = join(dir, 'mixed.pdt');
    const pages = await writeRandomPages(path, { pages: 64, epochs: 6, writesPerEpoch: 40, seed: 11 });
    const typescript = decodeAll(path, false);
    const native = decodeAll(path, true);
    expect(typescript.error).toBeNull();
    expect(native.error).toBeNull();
    expect(native.changed).toEqual(typescript.changed);
    expect(native.changed.some((count) => count > 0)).toBe(true);
    for (let page = 0; page < 64; page++) {
      expect(native.image.page(page), `page ${page}`).toEqual(pages[page]);
      expect(typescript.image.page(page), `page ${page}`).toEqual(pages[page]);
    }

    // A block of the third epoch made invalid (its literal count runs off the block): both stop
    // there with the same message, the entries before it applied alike.
    const parts = splitTrace(new Uint8Array(readFileSync(path)));
    const epochs = parts.records.filter((record) => record.type === RECORD_EPOCH);
    const payload = epochs[2]!.payload;
    let at = 12;
    let corrupted = -1;
    for (let entry = 0; corrupted < 0; entry++) {
      at = varint(payload, at)[1];
      const kind = payload[at++]!;
      if (kind !== PAGE_XOR_LZ4) {
        if (kind === PAGE_XOR_RAW) at += 4096;
        continue;
      }
      const [size, dataAt] = varint(payload, at);
      if (entry >= 5 && size <= 512) {
        // a block the native kernel takes (larger ones go to the LZ4 library either way)
        payload[dataAt] = 0xff;
        payload[dataAt + 1] = 0xff;
        corrupted = entry;
      }
      at = dataAt + size;
    }
    const corrupt = join(dir, 'mixed-corrupt.pdt');
    writeFileSync(corrupt, joinTrace(parts));
    const typescriptCorrupt = decodeAll(corrupt, false);
    const nativeCorrupt = decodeAll(corrupt, true);
    expect(typescriptCorrupt.error).toMatch(new RegExp(`entry ${corrupted} \\(page \\d+\\): an LZ4 block that decodes to 4096 bytes, it is corrupt`));
    expect(nativeCorrupt.error).toBe(typescriptCorrupt.error);
    for (let page = 0; page < 64; page++) expect(nativeCorrupt.image.page(page), `page ${page}`).toEqual(typescriptCorrupt.image.page(page));
  });

  it.skipIf(deltaAddon === null)('a record whose pages live in more distinct arrays than one native call takes (4100 > 4096) is applied whole', async () => {
    // Writers cut records at 1024 entries; a longer one read into a target with an array a
    // page (as a sparse image has one per 16384 pages) needs the queue run in parts.
    const path = join(dir, 'many-arrays.pdt');
    await writeTrace(path, { kind: 'content', pageSize: 4096, pageCount: 8192, timeUnit: 'ms' }, (writer) => {
      writer.beginEpoch(0);
      writer.writePage(0, new Uint8Array(4096).fill(1)); // placeholder record, replaced below
      writer.endEpoch();
    });
    const parts = splitTrace(new Uint8Array(readFileSync(path)));
    const entries: number[] = [];
    for (let page = 0; page < 4100; page++) {
      const xor = new Uint8Array(4096);
      xor[page % 40] = (page % 250) + 1;
      const block = new Uint8Array(lz4.encodeBound(4096));
      const size = lz4.encodeBlock(xor, block);
      expect(size).toBeLessThan(128); // one varint byte, and small enough for the native kernel
      entries.push(page === 0 ? 0 : 2, PAGE_XOR_LZ4, size, ...block.subarray(0, size));
    }
    const payload = new Uint8Array(12 + entries.length);
    new DataView(payload.buffer).setUint32(8, 4100, true);
    payload.set(entries, 12);
    parts.records.find((record) => record.type === RECORD_EPOCH)!.payload = payload;
    writeFileSync(path, joinTrace(parts));
    const arrays = new Map<number, Uint8Array>();
    const bytesOf = (page: number): Uint8Array => arrays.get(page) ?? (arrays.set(page, new Uint8Array(4096)), arrays.get(page)!);
    const target = {
      words: (page: number) => new Int32Array(bytesOf(page).buffer),
      wordOffset: () => 0,
      bytes: (page: number) => bytesOf(page),
      touch: () => false,
    };
    const reader = new TraceFileReader(path);
    try {
      let record = reader.next();
      while (record !== null && record.type !== RECORD_EPOCH) record = reader.next();
      reader.decodeEpoch(record!, target, true);
      expect(reader.count).toBe(4100);
      for (const page of [0, 4095, 4096, 4099]) {
        expect(arrays.get(page)![page % 40], `page ${page}`).toBe((page % 250) + 1);
        expect(reader.changedBytes[page]).toBe(1);
      }
    } finally {
      reader.close();
    }
  });
});
