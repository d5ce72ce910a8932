/**
 * `trace info` without a page image: a writer that saw every page notes in the end record
 * what only page contents would tell (pages left non-zero, bytes that zero-page entries
 * cleared after the first epoch), and info then counts without decoding into an image. The
 * figures must be the ones decoding gives.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_UNCHANGED, PAGE_XOR_LZ4, PAGE_ZERO, RECORD_END, TraceError } from '../../../workloads/trace/format.js';
import { hottestPages, traceInfo } from '../../../workloads/trace/info.js';
import { TraceFileReader } from '../../../workloads/trace/reader.js';
import { synthesizeTrace } from '../../../workloads/trace/synthesize.js';
import { TraceWriter, writeTrace } from '../../../workloads/trace/writer.js';
import { joinTrace, splitTrace } from '../../fuzz/trace-parts.js';
import { writeRandomPages } from './random-page-writes.js';

const dir = mkdtempSync(join(tmpdir(), 'pagedelta-info-totals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function endTotals(path: string): Record<string, unknown> | null {
  const reader = new TraceFileReader(path);
  try {
    return reader.readEndTotals();
  } finally {
    reader.close();
  }
}

/** Every figure but the path, the header (which holds the path's own fields) and where they came from. */
const figures = (info: Awaited<ReturnType<typeof traceInfo>>) => ({ ...info, path: undefined, header: undefined, contentFiguresFrom: undefined });

describe('trace info from the end record', () => {
  it('the writer notes pages left non-zero and bytes cleared after the first epoch, by hand', async () => {
    const path = join(dir, 'hand.pdt');
    const page = new Uint8Array(4096);
    await writeTrace(path, { kind: 'content', pageSize: 4096, pageCount: 8, timeUnit: 'ms' }, (writer) => {
      writer.beginEpoch(0);
      writer.writePage(1, page.fill(7));
      writer.writePage(2, page.fill(8));
      writer.writePage(4, page.fill(9));
      writer.writePage(4, page.fill(0)); // zeroed inside the first epoch: not counted
      writer.endEpoch();
      writer.beginEpoch(10);
      page.fill(0);
      writer.writePage(1, page); // 4096 bytes cleared
      page[5] = 1;
      page[6] = 2;
      writer.writePage(3, page);
      page.fill(0);
      writer.writePage(3, page); // 2 bytes cleared
      writer.endEpoch();
    });
    expect(endTotals(path)).toMatchObject({ nonZeroPages: 1, zeroedBytes: 4098 });
    const info = await traceInfo(path);
    expect(info.contentFiguresFrom).toBe('end record');
    expect((await traceInfo(path, { decodePages: true })).contentFiguresFrom).toBe('decoded pages');
    expect(info.zeroPageFraction).toBe(7 / 8);
    // After the first epoch: page 1 zeroed (4096), page 3 set (2) and zeroed (2).
    expect(info.meanChangedBytes).toBe((4096 + 2 + 2) / 3);
    expect(figures(info)).toEqual(figures(await traceInfo(path, { decodePages: true })));
  });

  it('gives the figures decoding gives on a trace of random writes, dense rewrites, zeroings and unchanged rewrites', async () => {
    const path = join(dir, 'random.pdt');
    await writeRandomPages(path, { pages: 32, epochs: 8, writesPerEpoch: 30, seed: 3 });
    const info = await traceInfo(path);
    expect(info.zeroWriteFraction).toBeGreaterThan(0);
    expect(info.unchangedWriteFraction).toBeGreaterThan(0);
    expect(figures(info)).toEqual(figures(await traceInfo(path, { decodePages: true })));
  });

  it('gives the figures decoding gives on synthesized traces (sparse, mixed content)', async () => {
    for (const [name, workload] of [
      ['sparse', 'zipf:rate=4000,content=zero'],
      ['mixed', 'zipf:rate=3000,content=mixed'],
    ] as const) {
      const path = join(dir, `${name}.pdt`);
      await synthesizeTrace({ out: path, spec: workload, pageCount: 16384, durationMs: 2000, stepMs: 100, seed: 5 });
      const totals = endTotals(path);
      expect(totals, name).toMatchObject({ nonZeroPages: expect.any(Number), zeroedBytes: expect.any(Number) });
      expect(figures(await traceInfo(path)), name).toEqual(figures(await traceInfo(path, { decodePages: true })));
    }
  });

  it('a trace written with writeDelta (the caller tells the kinds) has the same totals, and a trace without them is decoded', async () => {
    const path = join(dir, 'delta.pdt');
    const writer = TraceWriter.open(path, { kind: 'content', pageSize: 4096, pageCount: 4, timeUnit: 'ms' });
    const xor = Buffer.alloc(4096);
    writer.beginEpoch(0);
    xor[10] = 3;
    writer.writeDelta(1, PAGE_XOR_LZ4, xor, 0);
    writer.writeDelta(3, PAGE_XOR_LZ4, xor, 0);
    writer.writeDelta(3, PAGE_ZERO, xor, 0); // inside the first epoch: not counted
    writer.endEpoch();
    writer.beginEpoch(5);
    writer.writeDelta(1, PAGE_ZERO, xor, 0); // its previous content: one non-zero byte
    writer.writeDelta(2, PAGE_XOR_LZ4, xor, 0);
    writer.writeDelta(2, PAGE_UNCHANGED, xor, 0);
    writer.endEpoch();
    writer.close();
    expect(endTotals(path)).toMatchObject({ nonZeroPages: 1, zeroedBytes: 1 });
    const info = await traceInfo(path);
    expect(info.contentFiguresFrom).toBe('end record');
    expect(info.zeroPageFraction).toBe(3 / 4);
    expect(info.meanChangedBytes).toBe(2 / 3); // page 1 cleared (1 byte), page 2 set (1 byte), page 2 rewritten (0)
    expect(figures(info)).toEqual(figures(await traceInfo(path, { decodePages: true })));

    // The same trace with an end record from before these totals: decoded, same figures.
    const parts = splitTrace(new Uint8Array(readFileSync(path)));
    const end = parts.records.find((record) => record.type === RECORD_END)!;
    const { nonZeroPages: _pages, zeroedBytes: _bytes, ...older } = JSON.parse(new TextDecoder().decode(end.payload)) as Record<string, unknown>;
    end.payload = new TextEncoder().encode(JSON.stringify(older));
    const old = join(dir, 'delta-old.pdt');
    writeFileSync(old, joinTrace(parts));
    const oldInfo = await traceInfo(old);
    expect(oldInfo.contentFiguresFrom).toBe('decoded pages');
    expect(figures(oldInfo)).toEqual(figures(info));
  });

  it('content totals that are not whole counts, or clear more bytes than the zero-page writes can, are one line each', async () => {
    const path = join(dir, 'hand.pdt');
    const parts = splitTrace(new Uint8Array(readFileSync(path)));
    const end = parts.records.find((record) => record.type === RECORD_END)!;
    const totals = JSON.parse(new TextDecoder().decode(end.payload)) as Record<string, unknown>;
    for (const [field, value, message] of [
      ['nonZeroPages', -1, /expected the end record's nonZeroPages to be a whole number of pages in 0\.\.8, found -1$/],
      ['nonZeroPages', 1.5, /found 1\.5$/],
      ['nonZeroPages', '5', /found "5"$/],
      ['zeroedBytes', null, /expected the end record's zeroedBytes to be a whole number >= 0, found null$/],
      // Two zero-page writes after the first epoch clear at most 2 pages (8192 bytes).
      ['zeroedBytes', 8193, /corrupt end record: zeroedBytes 8193 is more than the 2 zero-page writes after the first epoch can clear \(8192 bytes\)$/],
    ] as const) {
      const edited = { ...parts, records: parts.records.map((record) => (record === end ? { ...record, payload: new TextEncoder().encode(JSON.stringify({ ...totals, [field]: value })) } : record)) };
      const file = join(dir, `bad-${field}.pdt`);
      writeFileSync(file, joinTrace(edited));
      await expect(traceInfo(file), `${field} ${value}`).rejects.toThrow(message);
    }
  });

  it('an end record claiming more non-zero pages than the trace has is one line naming it, read either way', async () => {
    const path = join(dir, 'hand.pdt');
    const parts = splitTrace(new Uint8Array(readFileSync(path)));
    const end = parts.records.find((record) => record.type === RECORD_END)!;
    const totals = JSON.parse(new TextDecoder().decode(end.payload)) as Record<string, unknown>;
    end.payload = new TextEncoder().encode(JSON.stringify({ ...totals, nonZeroPages: 9 }));
    const lying = join(dir, 'lying.pdt');
    writeFileSync(lying, joinTrace(parts));
    for (const decodePages of [false, true]) {
      await expect(traceInfo(lying, { decodePages })).rejects.toThrow(TraceError);
      await expect(traceInfo(lying, { decodePages })).rejects.toThrow(/expected the end record's nonZeroPages to be a whole number of pages in 0\.\.8, found 9$/);
    }
  });
});

describe('the hot set: fewest pages that take a share of the writes', () => {
  /** The definition: counts sorted, the largest taken one by one until the share is reached. */
  function reference(counts: number[], share: number, total: number): number {
    const sorted = counts.filter((count) => count > 0).sort((a, b) => a - b);
    let covered = 0;
    let pages = 0;
    for (let i = sorted.length - 1; i >= 0 && covered < share * total - 1e-9; i--) {
      covered += sorted[i]!;
      pages++;
    }
    return pages;
  }

  it('by hand: counts 5 3 3 1 0 of 12, 90% -> 3 pages (5 + 3 + 3 = 11 >= 10.8); 50% -> 2; 100% -> 4', () => {
    const counts = Uint32Array.of(5, 3, 0, 3, 1);
    expect([0.9, 0.5, 1, 0.01].map((share) => hottestPages(counts, share, 12))).toEqual([3, 2, 4, 1]);
    expect(hottestPages(counts, 0.9, 0)).toBe(0);
  });

  it('equals the definition on random counts, ties and very large counts included (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat(5), fc.nat(300), fc.integer({ min: 0, max: 2 ** 30 })), { maxLength: 200 }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        (counts, share) => {
          const total = counts.reduce((sum, count) => sum + count, 0);
          expect(hottestPages(Float64Array.from(counts), share, total)).toBe(reference(counts, share, total));
        },
      ),
      { numRuns: 500 },
    );
  });
});
