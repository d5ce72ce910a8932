import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deltaAddon, lz4 } from '../../../codecs/native.js';
import { GuestMemory } from '../../../workloads/memory.js';
import { RECORD_EPOCH } from '../../../workloads/trace/format.js';
import { CountOnlyTarget, MemoryTarget, OffsetTarget, type PageTarget, TraceFileReader } from '../../../workloads/trace/reader.js';
import { joinTrace, splitTrace } from '../../fuzz/trace-parts.js';
import { temporaryDirectory } from '../../temporary-directory.js';
import { writeRandomPages } from './random-page-writes.js';
import { writeTrace } from '../../../workloads/trace/writer.js';

const PAGES = 64;
const PAGE_SIZE = 4096;

interface Read {
  /** The guest's bytes after the records read (memory targets), else empty. */
  memory: Uint8Array;
  /** Each record's changed-byte counts, in order. */
  changed: number[];
  /** Each record's page numbers and kinds, in order. */
  entries: number[];
  /** Count targets: how often each page was named (counted by the addon as it parsed, where it did). */
  counts: number[];
  /** Records whose pages the addon counted. */
  natively: number;
  error: string | null;
}

type Kind = 'memory' | 'region' | 'count';
const KINDS: Kind[] = ['memory', 'region', 'count'];

/**
 * Every epoch of `file` decoded into `kind`'s target (a guest memory, the second half of one
 * twice as large, or a count), with or without the native addon.
 */
function readAll(file: string, native: boolean, kind: Kind): Read {
  const reader = new TraceFileReader(file, { native });
  const memory = new GuestMemory(kind === 'region' ? 2 * PAGES : PAGES, PAGE_SIZE);
  const counting = kind === 'count' ? new CountOnlyTarget(PAGE_SIZE) : null;
  if (counting !== null) counting.pageCounts = new Uint32Array(PAGES);
  const target: PageTarget = counting ?? (kind === 'region' ? new OffsetTarget(new MemoryTarget(memory), PAGES) : new MemoryTarget(memory));
  const changed: number[] = [];
  const entries: number[] = [];
  let natively = 0;
  let error: string | null = null;
  try {
    for (let record = reader.next(); record !== null; record = reader.next()) {
      if (record.type !== RECORD_EPOCH) continue;
      reader.decodeEpoch(record, target, true);
      changed.push(...reader.changedBytes.subarray(0, reader.count));
      for (let entry = 0; entry < reader.count; entry++) entries.push(reader.pages[entry]!, reader.kinds[entry]!);
      // Records the addon did not count (it left them to the TypeScript parser) are counted here.
      if (reader.pagesCounted) natively++;
      else if (counting !== null) for (let entry = 0; entry < reader.count; entry++) counting.pageCounts![reader.pages[entry]!]!++;
    }
  } catch (caught) {
    error = (caught as Error).message;
  } finally {
    reader.close();
  }
  return { memory: kind === 'count' ? new Uint8Array(0) : memory.chunks[0]!.slice(), changed, entries, counts: counting === null ? [] : Array.from(counting.pageCounts!), natively, error };
}

// Compared by hand: a deep equality of a 256 KiB guest per run took most of a second.
function sameNumbers(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Reads `file` into each kind of target with and without the addon, expects the same, and returns the TypeScript reads. */
function expectSameReads(file: string): Read[] {
  return KINDS.map((kind) => {
    const native = readAll(file, true, kind);
    const typescript = readAll(file, false, kind);
    expect(native.error).toBe(typescript.error);
    expect(sameNumbers(native.changed, typescript.changed)).toBe(true);
    expect(sameNumbers(native.entries, typescript.entries)).toBe(true);
    expect(Buffer.compare(native.memory, typescript.memory)).toBe(0);
    // (A record that fails after the addon parsed it was counted there; a reader stops there.)
    if (typescript.error === null) expect(sameNumbers(native.counts, typescript.counts)).toBe(true);
    return typescript;
  });
}

describe.skipIf(deltaAddon === null)('records parsed and queued by the addon (guest memory and count-only reads)', () => {
  const dir = temporaryDirectory('pagedelta-native-record-');
  const path = join(dir, 'random.pdt');

  it('read the same as the TypeScript path: a clean trace, then records with bytes changed anywhere (the same pages, counts and errors)', async () => {
    // Sparse and dense writes, zeroed pages, pages rewritten unchanged or named twice.
    const pages = await writeRandomPages(path, { pages: PAGES, epochs: 5, writesPerEpoch: 40, seed: 7 });
    for (const typescript of expectSameReads(path)) expect(typescript.error).toBeNull();
    // The addon counted every record's pages (the counts above agree with the TypeScript read's).
    const counted = readAll(path, true, 'count');
    expect(counted.natively).toBe(5);
    expect(counted.counts.reduce((sum, count) => sum + count, 0)).toBe(200);
    expect(readAll(path, false, 'count').natively).toBe(0);
    expect(readAll(path, true, 'memory').natively).toBe(0);
    const clean = readAll(path, true, 'memory');
    for (let page = 0; page < PAGES; page++) expect(clean.memory.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE), `page ${page}`).toEqual(pages[page]);

    const original = new Uint8Array(readFileSync(path));
    const epochCount = splitTrace(original).records.filter((record) => record.type === RECORD_EPOCH).length;
    let faults = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: epochCount - 1 }),
        // Changes near the record's start hit the entry headers (page deltas, kinds, block
        // lengths); the others land anywhere.
        fc.array(fc.record({ near: fc.boolean(), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        (epoch, changes) => {
          const parts = splitTrace(original);
          const payload = parts.records.filter((record) => record.type === RECORD_EPOCH)[epoch]!.payload;
          for (const change of changes) payload[change.near ? 12 + (change.at % Math.min(64, payload.length - 12)) : change.at % payload.length] = change.value;
          const mutated = join(dir, 'mutated.pdt');
          writeFileSync(mutated, joinTrace(parts));
          for (const typescript of expectSameReads(mutated)) if (typescript.error !== null) faults++;
        },
      ),
      { numRuns: 150, seed: 20261208 },
    );
    // The mutations reached the parser's faults, not only the blocks' contents.
    expect(faults).toBeGreaterThan(20);
  });
  it('parse crafted records as the TypeScript parser does: negative and non-minimal page deltas, pages out of range, unknown kinds, lengths past the record, bytes left over', async () => {
    const template = join(dir, 'template.pdt');
    await writeTrace(template, { kind: 'content', pageSize: PAGE_SIZE, pageCount: PAGES, timeUnit: 'ms' }, (writer) => {
      writer.beginEpoch(0);
      writer.writePage(0, new Uint8Array(PAGE_SIZE).fill(1));
      writer.endEpoch();
    });
    const parts = splitTrace(new Uint8Array(readFileSync(template)));
    const epochIndex = parts.records.findIndex((record) => record.type === RECORD_EPOCH);
    // A valid block (a sparse page's LZ4) and its page, for entries that apply.
    const sparse = new Uint8Array(PAGE_SIZE);
    for (let i = 0; i < PAGE_SIZE; i += 97) sparse[i] = (i & 255) | 1;
    const room = new Uint8Array(lz4.encodeBound(PAGE_SIZE));
    const block = room.slice(0, lz4.encodeBlock(sparse, room));
    // Mostly well-formed, so that many records read through; now and then a fault.
    const often = <T>(usual: fc.Arbitrary<T>, rare: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ arbitrary: usual, weight: 12 }, { arbitrary: rare, weight: 1 });
    const entry = fc.record({
      delta: often(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -8, max: 70 })),
      padding: often(fc.constant(0), fc.integer({ min: 1, max: 6 })), // continuation bytes of a non-minimal varint (up to 7 bytes long)
      kind: often(fc.integer({ min: 0, max: 3 }), fc.constantFrom(4, 5, 127, 128, 255)), // 4 and up are no kind
      blockKind: often(fc.constant('valid'), fc.constantFrom('short', 'garbage')),
      sizePadding: often(fc.constant(0), fc.integer({ min: 1, max: 4 })),
    });
    const varint = (value: number, padding: number): number[] => {
      const bytes: number[] = [];
      do {
        bytes.push(value & 0x7f);
        value = Math.floor(value / 128);
      } while (value > 0);
      for (let k = 0; k < padding; k++) bytes.push(0);
      // Continuation bits on all but the last byte (non-minimal: trailing zero groups).
      return bytes.map((byte, k) => (k < bytes.length - 1 ? byte | 0x80 : byte));
    };
    let faults = 0;
    let clean = 0;
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 12 }), often(fc.constant(0), fc.constantFrom(-1, 1)), often(fc.constant(0), fc.constantFrom(-2, -1, 1, 2)), (entries, countSkew, tail) => {
        const bytes: number[] = [];
        for (const { delta, padding, kind, blockKind, sizePadding } of entries) {
          bytes.push(...varint(delta >= 0 ? 2 * delta : -2 * delta - 1, padding), kind);
          if (kind === 1) {
            const data = blockKind === 'valid' ? Array.from(block) : blockKind === 'short' ? Array.from(block.subarray(0, 10)) : [0xff, 0xff, 0xff, 1, 2, 3];
            bytes.push(...varint(data.length, sizePadding), ...data);
          } else if (kind === 2) {
            for (let i = 0; i < PAGE_SIZE; i++) bytes.push((i * 7) & 255);
          }
        }
        if (tail > 0) for (let k = 0; k < tail; k++) bytes.push(k);
        else if (tail < 0) bytes.length = Math.max(0, bytes.length + tail);
        const payload = new Uint8Array(12 + bytes.length);
        new DataView(payload.buffer).setUint32(8, Math.max(0, entries.length + countSkew), true);
        payload.set(bytes, 12);
        parts.records[epochIndex] = { type: RECORD_EPOCH, flags: 0, payload };
        const crafted = join(dir, 'crafted.pdt');
        writeFileSync(crafted, joinTrace(parts));
        for (const typescript of expectSameReads(crafted)) {
          if (typescript.error !== null && /entry|end of the epoch/.test(typescript.error)) faults++;
          if (typescript.changed.length > 0) clean++;
        }
      }),
      { numRuns: 300, seed: 20261208 },
    );
    // Both outcomes were reached: records the parser refused and records read through.
    expect(faults).toBeGreaterThan(50);
    expect(clean).toBeGreaterThan(50);
  });
});
