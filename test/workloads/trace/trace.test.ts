import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulateMigration } from '../../../harness/migration.js';
import { migrationTables } from '../../../harness/migration/report.js';
import { DirtyBitmap, GuestMemory } from '../../../workloads/memory.js';
import { createWorkload } from '../../../workloads/registry.js';
import { synthesizeTrace } from '../../../workloads/trace/synthesize.js';
import { parseAccessKeys } from '../../../harness/cache/access-keys.js';
import { readAccessKeys, readTrace } from '../../../workloads/trace/stream.js';
import { PAGE_UNCHANGED, PAGE_XOR_LZ4, PAGE_XOR_RAW, PAGE_ZERO, TraceError } from '../../../workloads/trace/format.js';
import { traceInfo, traceInfoTables } from '../../../workloads/trace/info.js';
import { TraceWriter, writeTrace } from '../../../workloads/trace/writer.js';
import { Xoshiro128 } from '../../../workloads/prng.js';
import { deltaAddon, lz4 } from '../../../codecs/native.js';
import { MemoryTarget } from '../../../workloads/trace/reader.js';
import { TraceSource } from '../../../workloads/trace/source.js';
import { joinTrace, splitTrace } from '../../fuzz/trace-parts.js';

const directory = mkdtempSync(join(tmpdir(), 'pagedelta-trace-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let fileNumber = 0;
const tempFile = (name = 'trace.pdt') => join(directory, `${fileNumber++}-${name}`);

function digest(memory: GuestMemory): string {
  const hash = createHash('sha256');
  for (const chunk of memory.chunks) hash.update(chunk);
  return hash.digest('hex');
}

async function drain(path: string): Promise<number> {
  const trace = await readTrace(path);
  let epochs = 0;
  for await (const _epoch of trace) epochs++;
  return epochs;
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('content traces: write, read, replay', () => {
  it('replaying a synthesized trace reproduces the memory and dirty pages at every step', async () => {
    const spec = 'zipf:skew=1,rate=20000,region=0:200 + scan:rate=2000,region=200:56 + seed-loadgen:rate=500,region=256:64';
    const pageCount = 400;
    const path = tempFile();
    const summary = await synthesizeTrace({ out: path, spec, pageCount, seed: 3, durationMs: 300, stepMs: 10 });
    expect(summary.epochs).toBe(31);

    const original = createWorkload(spec, { pageCount, seed: 3 });
    const replay = createWorkload(`trace:${path}`, { pageCount });
    const originalMemory = new GuestMemory(pageCount);
    const replayMemory = new GuestMemory(pageCount);
    original.init(originalMemory);
    replay.init(replayMemory);
    expect(digest(replayMemory)).toBe(digest(originalMemory));
    const originalDirty = new DirtyBitmap(pageCount);
    const replayDirty = new DirtyBitmap(pageCount);
    for (let time = 10; time <= 300; time += 10) {
      original.advance(originalMemory, time, originalDirty);
      // replay in uneven small steps: nothing is due until the epoch's time
      replay.advance(replayMemory, time - 7.5, replayDirty);
      replay.advance(replayMemory, time - 0.001, replayDirty);
      expect(replayDirty.count).toBe(0);
      replay.advance(replayMemory, time, replayDirty);
      expect(digest(replayMemory)).toBe(digest(originalMemory));
      expect([...replayDirty.bits]).toEqual([...originalDirty.bits]);
      expect(replayDirty.count).toBeGreaterThan(0);
      originalDirty.clearAll();
      replayDirty.clearAll();
    }
    // init() replays from the start again
    replay.init(replayMemory);
    replay.advance(replayMemory, 300, replayDirty);
    expect(digest(replayMemory)).toBe(digest(originalMemory));
  });

  it('replays into a region: trace page p is guest page first + p', async () => {
    const path = tempFile();
    await synthesizeTrace({ out: path, spec: 'seed-loadgen:rate=1000', pageCount: 64, durationMs: 20, stepMs: 10 });
    const workload = createWorkload(`trace:${path},region=100:64 + idle:content=zero,region=0:100`, { pageCount: 200 });
    const memory = new GuestMemory(200);
    workload.init(memory);
    const dirty = new DirtyBitmap(200);
    workload.advance(memory, 20, dirty);
    expect(dirty.count).toBe(64);
    expect(dirty.isDirty(100)).toBe(true);
    expect(dirty.isDirty(99)).toBe(false);
    expect(memory.page(100 + 5)[1234 + 5]).toBe((20 * 5) % 256);
  });

  /**
   * A hand-made trace of 16 pages: the initial image (page 0 = 1) at t=0, then epochs at
   * 100 ms (pages 1..4 get byte 0 = 2), 200 ms (page 5 = 3) and 1000 ms (page 6 = 4).
   */
  async function limitsTrace(): Promise<string> {
    const path = tempFile('limits.pdt');
    const memory = new GuestMemory(16);
    await writeTrace(path, { kind: 'content', pageCount: 16 }, (writer) => {
      memory.page(0)[0] = 1;
      writer.writeEpoch(0, memory, [0]);
      for (let page = 1; page <= 4; page++) memory.page(page)[0] = 2;
      writer.writeEpoch(100, memory, [1, 2, 3, 4]);
      memory.page(5)[0] = 3;
      writer.writeEpoch(200, memory, [5]);
      memory.page(6)[0] = 4;
      writer.writeEpoch(1000, memory, [6]);
    });
    return path;
  }

  function dirtyAt(spec: string, times: number[]): { dirty: number[][]; memory: GuestMemory; workload: ReturnType<typeof createWorkload> } {
    const workload = createWorkload(spec, { pageCount: 16 });
    const memory = new GuestMemory(16);
    workload.init(memory);
    const dirty: number[][] = [];
    for (const time of times) {
      const bitmap = new DirtyBitmap(16);
      workload.advance(memory, time, bitmap);
      dirty.push(Array.from({ length: 16 }, (_, page) => page).filter((page) => bitmap.isDirty(page)));
    }
    return { dirty, memory, workload };
  }

  it('trace info on text lists: untimed and one-instant lists have no rate; a sub-millisecond one gets rows that cover it; decreasing times are refused', async () => {
    const write = (name: string, text: string): string => {
      const path = join(directory, name);
      writeFileSync(path, text);
      return path;
    };
    const metric = (info: Awaited<ReturnType<typeof traceInfo>>, name: string): unknown => traceInfoTables(info)[1]!.rows.find((row) => row.metric === name)?.value;
    const untimed = await traceInfo(write('untimed.txt', '1\n2\n3\n1\n2\n'));
    expect(untimed.timed).toBe(false);
    expect(untimed.rate).toEqual([]);
    expect(metric(untimed, 'duration')).toBe('untimed');
    expect(metric(untimed, 'mean access rate')).toBe('n/a (untimed: pages in order, no times)');
    const instant = await traceInfo(write('instant.txt', '0,1\n0,2\n'));
    expect(instant.rate).toEqual([]);
    expect(metric(instant, 'mean access rate')).toBe('n/a (everything at one instant)');
    // Microseconds: 0, 10, 250 and 900 us in 4 rows of 225 us.
    const short = await traceInfo(write('short.txt', '0,1\n10,2\n250,3\n900,1\n'), { buckets: 4 });
    [2, 1, 0, 1].forEach((pages, row) => expect(short.rate[row]!.pages).toBeCloseTo(pages, 9));
    expect(short.rate.at(-1)!.toMs).toBeCloseTo(0.9, 9);
    expect(metric(short, 'mean access rate')).toBe(`${((4 * 1000) / 0.9).toFixed(1)} pages/s`);
    await expect(traceInfo(write('decreasing.txt', '5,1\n3,2\n'))).rejects.toThrow(/line 2: expected a time of at least 5, the line before's \(times must not decrease\), found "3,2"$/);
  });

  it('trace info: --buckets N gives N rows whose pages add up, and the achieved interval', async () => {
    const path = await limitsTrace();
    for (const buckets of [1, 3, 7, 20]) {
      const info = await traceInfo(path, { buckets });
      expect(info.rate).toHaveLength(buckets);
      expect(info.rate.reduce((sum, row) => sum + row.pages, 0)).toBeCloseTo(6, 9);
      expect(info.rate.reduce((sum, row) => sum + row.epochs, 0)).toBe(3);
      expect(info.rate[0]!.fromMs).toBe(0);
      expect(info.rate.at(-1)!.toMs).toBeCloseTo(1000, 9);
    }
    // 4 epochs at 0, 100, 200, 1000: gaps 100, 100, 800.
    const info = await traceInfo(path, { buckets: 10 });
    expect(info.intervals).toEqual({ count: 3, minMs: 100, medianMs: 100, meanMs: 1000 / 3, maxMs: 800 });
    // Pages spread over (previous epoch, epoch]: the epoch at 1000 ms puts 1/8 of its page in each 100 ms row after 200.
    const expected = [4, 1, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125];
    info.rate.forEach((row, index) => expect(row.pages).toBeCloseTo(expected[index]!, 9));
    const summary = traceInfoTables(info)[1]!.rows.find((row) => String(row.metric).startsWith('achieved interval'));
    expect(summary).toEqual({ metric: 'achieved interval', value: 'min 100.0 ms / median 100.0 ms / max 800.0 ms (mean 333.3 ms over 3 gaps)' });
  });

  it('start= folds the warm-up into the initial image and shifts the rest', async () => {
    const path = await limitsTrace();
    const { dirty, memory } = dirtyAt(`trace:${path},start=150`, [49, 50, 849, 850]);
    // Epochs at 0 and 100 are the initial image: pages 1..4 already hold 2, not reported dirty.
    expect(dirty).toEqual([[], [5], [], [6]]);
    expect([0, 1, 4, 5, 6].map((page) => memory.page(page)[0])).toEqual([1, 2, 2, 3, 4]);
  });

  it('loop=true repeats the section: one pass lasts its span plus one mean gap', async () => {
    const path = await limitsTrace();
    // Section 0..1000 ms with 3 epochs: a pass lasts 1000 x (1 + 1/3) = 1333.3 ms.
    const { dirty, memory } = dirtyAt(`trace:${path},loop=true`, [1000, 1433, 1434, 1534, 2333, 2334]);
    expect(dirty).toEqual([[1, 2, 3, 4, 5, 6], [], [1, 2, 3, 4], [5], [], [6]]);
    // The loop re-applies each epoch's XOR change: 2 ^ 2 = 0 on the second pass, 3 ^ 3 = 0...
    expect([1, 5, 6].map((page) => memory.page(page)[0])).toEqual([0, 0, 0]);
  });

  it('spread=true applies an epoch page by page over the interval since the previous one', async () => {
    const path = await limitsTrace();
    const { dirty, memory } = dirtyAt(`trace:${path},spread=true`, [24, 25, 50, 74, 75, 100, 199, 200]);
    expect(dirty).toEqual([[], [1], [2], [], [3], [4], [], [5]]);
    expect(memory.page(2)[0]).toBe(2);
    expect(() => createWorkload(`trace:${tempFile('x.txt')},spread=true`, { pageCount: 16 })).toThrow();
  });

  it('spread=true places each entry in its own slot when some entries are unchanged', async () => {
    // Unchanged entries have no page data: decoding skips them, and the changed pages after
    // them must still land in their own slots (slot = entry index, not a running count).
    const path = tempFile('unchanged.pdt');
    const page = new Uint8Array(4096);
    await writeTrace(path, { kind: 'content', pageCount: 16, timeUnit: 'ms' }, (writer) => {
      writer.beginEpoch(0);
      for (const number of [1, 2, 3]) writer.writePage(number, page.fill(number * 10));
      writer.endEpoch();
      writer.beginEpoch(100);
      writer.writePage(1, page.fill(10)); // unchanged
      writer.writePage(2, page.fill(21));
      writer.writePage(3, page.fill(30)); // unchanged
      writer.writePage(4, page.fill(44));
      writer.endEpoch();
    });
    const kinds = (await readTrace(path))[Symbol.asyncIterator]();
    await kinds.next();
    const second = (await kinds.next()).value!;
    expect(Array.from(second.kinds!)).toEqual([PAGE_UNCHANGED, PAGE_XOR_LZ4, PAGE_UNCHANGED, PAGE_XOR_LZ4]);
    const spread = dirtyAt(`trace:${path},spread=true`, [100]).memory;
    const whole = dirtyAt(`trace:${path}`, [100]).memory;
    for (const number of [1, 2, 3, 4]) {
      expect(spread.page(number)[4095]).toBe(whole.page(number)[4095]);
    }
    expect([1, 2, 3, 4].map((number) => whole.page(number)[4095])).toEqual([10, 21, 30, 44]);
  });

  it('a record naming pages again with small, large and zero entries reads back as applied in order, natively (on one or two threads) or not', () => {
    // Small XOR+LZ4 blocks are queued for the native kernel (and split over its two threads
    // where a run of them is long); large ones, raw and zero pages go through TypeScript, the
    // queue applied before each.
    const pageCount = 40;
    const path = tempFile('mixed-order.pdt');
    const random = new Xoshiro128(7);
    const expected = Array.from({ length: pageCount }, () => new Uint8Array(4096));
    const writer = TraceWriter.open(path, { kind: 'content', pageSize: 4096, pageCount, timeUnit: 'ms' });
    const xor = Buffer.alloc(4096);
    writer.beginEpoch(0);
    for (let page = 0; page < pageCount; page++) {
      for (let k = 0; k < 4096; k += 64) xor[k] = expected[page]![k] = (page + k) & 255;
      writer.writeDelta(page, PAGE_XOR_LZ4, xor, 0);
      xor.fill(0);
    }
    writer.endEpoch();
    writer.beginEpoch(100);
    const kinds = new Set<number>();
    for (let entry = 0; entry < 400; entry++) {
      const page = random.nextBelow(pageCount);
      const shape = entry % 9;
      if (shape === 4) {
        xor.set(expected[page]!); // a zero page: its XOR is its previous content
        writer.writeDelta(page, PAGE_ZERO, xor, 0);
        expected[page]!.fill(0);
      } else {
        // Mostly a few changed bytes (a small block); shape 6 some hundreds (a large block, in
        // TypeScript), shape 2 every byte (stored raw).
        if (shape === 2) for (let k = 0; k < 4096; k++) xor[k] = 1 + random.nextBelow(255);
        const writes = shape === 6 ? 300 : 1 + random.nextBelow(5);
        for (let w = 0; w < writes; w++) xor[random.nextBelow(4096)] = 1 + random.nextBelow(255);
        if (xor.every((byte, k) => byte === expected[page]![k])) xor[0] ^= 1; // not all zeros after
        writer.writeDelta(page, PAGE_XOR_LZ4, xor, 0);
        for (let k = 0; k < 4096; k++) expected[page]![k]! ^= xor[k]!;
      }
      xor.fill(0);
    }
    writer.endEpoch();
    writer.close();
    for (const native of [true, false]) {
      for (const threads of native && deltaAddon !== null ? [1, 2] : [1]) {
        deltaAddon?.xorLz4Threads(threads);
        const source = new TraceSource(path, { native });
        const memory = new GuestMemory(pageCount);
        const target = new MemoryTarget(memory);
        for (let batch = source.next(target); batch; batch = source.next(target)) for (let i = 0; i < batch.count; i++) kinds.add(batch.kinds![i]!);
        source.close();
        for (let page = 0; page < pageCount; page++) {
          const got = memory.page(page);
          expect(got.every((byte, k) => byte === expected[page]![k]), `page ${page}, native ${native}, ${threads} thread(s)`).toBe(true);
        }
      }
    }
    deltaAddon?.xorLz4Threads(2);
    expect([...kinds].sort()).toEqual([PAGE_ZERO, PAGE_XOR_LZ4, PAGE_XOR_RAW]);
  });

  it('spread=true on a record longer than writers make (1500 entries): the same pages as applied at once', async () => {
    // Writers cut records at 1024 entries; a reader takes longer ones, and replay's slots grow
    // in the middle of such a record (the native kernel's queued pages must not be lost then).
    const pageCount = 1600;
    const path = tempFile('long-record.pdt');
    await writeTrace(path, { kind: 'content', pageCount, timeUnit: 'ms' }, (writer) => {
      writer.beginEpoch(0);
      writer.endEpoch();
      writer.beginEpoch(100);
      writer.writePage(0, new Uint8Array(4096).fill(1)); // placeholder record, replaced below
      writer.endEpoch();
    });
    const parts = splitTrace(new Uint8Array(readFileSync(path)));
    const epochs = parts.records.filter((record) => record.type === 0x45);
    const entries: number[] = [];
    for (let page = 0; page < 1500; page++) {
      const xor = new Uint8Array(4096);
      xor[(page * 7) % 4096] = (page % 255) + 1;
      xor[4095 - (page % 100)] = 0x5a;
      const block = new Uint8Array(lz4.encodeBound(4096));
      const size = lz4.encodeBlock(xor, block);
      entries.push(page === 0 ? 0 : 2, PAGE_XOR_LZ4, size, ...block.subarray(0, size)); // page delta zigzag(+1) = 2; sizes < 128: one varint byte
    }
    const payload = new Uint8Array(12 + entries.length);
    const view = new DataView(payload.buffer);
    view.setFloat64(0, 100, true);
    view.setUint32(8, 1500, true);
    payload.set(entries, 12);
    epochs[1]!.payload = payload;
    writeFileSync(path, joinTrace(parts));
    const replay = (spec: string): GuestMemory => {
      const workload = createWorkload(spec, { pageCount });
      const memory = new GuestMemory(pageCount);
      workload.init(memory);
      workload.advance(memory, 100, new DirtyBitmap(pageCount));
      return memory;
    };
    const whole = replay(`trace:${path}`);
    const spread = replay(`trace:${path},spread=true`);
    for (const page of [0, 1, 1023, 1024, 1200, 1499]) {
      expect(whole.page(page)[(page * 7) % 4096], `page ${page}`).toBe((page % 255) + 1);
      expect(spread.page(page), `page ${page}`).toEqual(whole.page(page));
    }
  });

  it('a migration that outlives the trace, or stops in a long snapshot gap, says so', async () => {
    const path = await limitsTrace();
    const ended = dirtyAt(`trace:${path}`, [1500]).workload;
    expect(ended.limits!(1500, 300)).toEqual([
      'the migration outlived the trace: its stop at 1500 ms came after the trace\'s last write at 1000 ms (the guest was idle from there: use loop=true or a longer trace)',
    ]);
    const inGap = dirtyAt(`trace:${path}`, [600]).workload;
    expect(inGap.limits!(600, 300)).toEqual([
      "the migration stopped at 600 ms inside a 800 ms gap between the trace's snapshots (200..1000 ms), longer than the 300 ms downtime limit: the guest looked idle only because nothing was recorded there",
    ]);
    expect(inGap.limits!(600, 1000)).toEqual([]);
    expect(dirtyAt(`trace:${path},loop=true`, [1500]).workload.limits!(1500, 300)).toEqual([]);
    // Through the simulator: the result carries the warning.
    // 16 pages at 1 Gbit/s: done long before the first write at 100 ms, a gap over the 50 ms limit.
    const result = simulateMigration({ workload: `trace:${path}`, ramBytes: 16 * 4096, maxBandwidthBps: 0, cpu: 'model', bandwidthBps: 1e9 / 8, downtimeLimitMs: 50 });
    expect(result.warnings).toEqual([expect.stringMatching(/^the migration stopped at [01] ms inside a 100 ms gap between the trace's snapshots \(0\.\.100 ms\), longer than the 50 ms downtime limit/)]);
    expect(migrationTables(result)[0]!.notes!.at(-1)).toBe(`Warning: ${result.warnings[0]}`);
  });

  it('time-scaled replay applies epochs at scale x trace time', async () => {
    const path = tempFile();
    await synthesizeTrace({ out: path, spec: 'uniform:rate=1000', pageCount: 64, durationMs: 100, stepMs: 50 });
    const replay = createWorkload(`trace:${path},scale=2`, { pageCount: 64 });
    const memory = new GuestMemory(64);
    replay.init(memory);
    const dirty = new DirtyBitmap(64);
    replay.advance(memory, 99, dirty);
    expect(dirty.count).toBe(0);
    replay.advance(memory, 100, dirty);
    expect(dirty.count).toBeGreaterThan(0);
    expect(replay.describe()).toMatchObject({ workload: 'trace', scale: 2, traceKind: 'content' });
  });

  it('readTrace gives the header and epochs with each page\'s new content and entry kind', async () => {
    const path = tempFile();
    const pageSize = 4096;
    const random = new Uint8Array(pageSize);
    new Xoshiro128(1).fillWords(new Int32Array(random.buffer));
    const text = new TextEncoder().encode('hello page '.repeat(400)).subarray(0, pageSize);
    const writer = TraceWriter.open(path, { kind: 'content', pageSize, source: 'unit test', recorder: { note: 'x' }, regions: [{ firstPage: 0, pages: 8, name: 'a' }] });
    writer.beginEpoch(0);
    expect(writer.writePage(3, text)).toBe(true);
    expect(writer.writePage(5, random)).toBe(true);
    writer.endEpoch();
    writer.beginEpoch(2.5);
    expect(writer.writePage(3, text)).toBe(false); // same bytes: kept as "unchanged"
    expect(writer.writePage(5, new Uint8Array(pageSize))).toBe(true); // now zero
    const modified = text.slice();
    modified[100] ^= 0xff;
    modified[4000] ^= 0x01;
    expect(writer.writePage(6, modified)).toBe(true);
    writer.endEpoch();
    writer.addRegion({ firstPage: 8, pages: 4, name: 'b' });
    const summary = writer.close();
    expect(summary).toMatchObject({ epochs: 2, pageEntries: 5, pageCount: 12 });

    const trace = await readTrace(path, { changedBytes: true });
    expect(trace.header).toMatchObject({ format: 'binary', version: 1, kind: 'content', pageSize, pageCount: 12, timeUnit: 'ms', source: 'unit test', complete: true, epochCount: 2 });
    expect(trace.header.recorder).toEqual({ note: 'x' });
    const epochs: { time: number; pages: number[]; kinds: number[]; changed: number[]; contents: Uint8Array[] }[] = [];
    for await (const epoch of trace) {
      epochs.push({
        time: epoch.timeMs,
        pages: [...epoch.pages],
        kinds: [...epoch.kinds!],
        changed: [...epoch.changedBytes!],
        contents: [...epoch.pages].map((_, i) => epoch.content!(i).slice()),
      });
    }
    expect(epochs.map((epoch) => epoch.time)).toEqual([0, 2.5]);
    expect(epochs[0]!.pages).toEqual([3, 5]);
    expect(epochs[0]!.kinds).toEqual([PAGE_XOR_LZ4, PAGE_XOR_RAW]);
    expect(Buffer.compare(epochs[0]!.contents[1]!, random)).toBe(0);
    expect(epochs[1]!.pages).toEqual([3, 5, 6]);
    expect(epochs[1]!.kinds).toEqual([PAGE_UNCHANGED, PAGE_ZERO, PAGE_XOR_LZ4]);
    expect(epochs[1]!.changed[0]).toBe(0);
    expect(epochs[1]!.changed[1]).toBe(random.reduce((sum, byte) => sum + (byte !== 0 ? 1 : 0), 0));
    expect(epochs[1]!.changed[2]).toBe(pageSize - [...modified].filter((byte) => byte === 0).length);
    expect(Buffer.compare(epochs[1]!.contents[2]!, modified)).toBe(0);
    expect(trace.header.regions.map((region) => region.name)).toEqual(['a', 'b']);
  });

  it('splits large epochs into records of 1024 pages and reassembles them', async () => {
    const path = tempFile();
    const summary = await synthesizeTrace({ out: path, spec: 'uniform:rate=1000000,bytes=2,content=zero', pageCount: 3000, durationMs: 10, stepMs: 10 });
    expect(summary.epochs).toBe(2);
    const trace = await readTrace(path);
    const flags: boolean[] = [];
    let entries = 0;
    for await (const epoch of trace) {
      flags.push(epoch.continued);
      if (epoch.index === 1) entries += epoch.pages.length;
    }
    expect(entries).toBeGreaterThan(2500);
    expect(flags.slice(1)).toEqual([true, true, false]);
  });

  it('memory does not grow with trace length (streaming)', async () => {
    const short = tempFile();
    const long = tempFile();
    await synthesizeTrace({ out: short, spec: 'zipf:rate=20000', pageCount: 512, durationMs: 100, stepMs: 1 });
    await synthesizeTrace({ out: long, spec: 'zipf:rate=20000', pageCount: 512, durationMs: 2000, stepMs: 1 });
    const measure = async (path: string) => {
      const trace = await readTrace(path);
      let epochs = 0;
      let maxBuffer = 0;
      for await (const _ of trace) {
        epochs++;
        maxBuffer = Math.max(maxBuffer, trace.bufferBytes);
      }
      return { epochs, maxBuffer, image: trace.imageBytes };
    };
    const a = await measure(short);
    const b = await measure(long);
    expect(b.epochs).toBeGreaterThan(a.epochs * 15);
    expect(b.maxBuffer).toBe(a.maxBuffer);
    expect(b.image).toBe(a.image);
    expect(b.image).toBeLessThanOrEqual(512 * 4096);
  });

  it('writes atomically: a failing producer leaves nothing under the output name', async () => {
    const path = tempFile();
    const error = await errorOf(
      writeTrace(path, { kind: 'content' }, (writer) => {
        writer.beginEpoch(0);
        writer.writePage(0, new Uint8Array(4096).fill(1));
        throw new Error('producer failed');
      }),
    );
    expect(error.message).toBe('producer failed');
    expect(readdirSync(directory).filter((name) => name.includes(path.split('/').pop()!))).toEqual([]);
  });

  it('rejects epochs going back in time and pages outside epochs', () => {
    const writer = TraceWriter.open(tempFile(), { kind: 'content' });
    writer.beginEpoch(10);
    writer.endEpoch();
    expect(() => writer.beginEpoch(5)).toThrow(/epoch time 5 is before the previous epoch \(10\)/);
    expect(() => writer.writePage(0, new Uint8Array(4096))).toThrow(/outside an epoch/);
    writer.abort();
  });
});

describe('access-only traces', () => {
  it('binary access traces round trip, large page numbers and times included', async () => {
    const path = tempFile();
    const pages = [5, 3, 42932745, 0, 5, 2 ** 40];
    await writeTrace(path, { kind: 'access', timeUnit: 'us', source: 'keys' }, (writer) => {
      pages.forEach((page, i) => writer.writeAccess(1000 + i * 7, page));
    });
    expect([...(await readAccessKeys(path))]).toEqual(pages);
    const trace = await readTrace(path);
    expect(trace.header).toMatchObject({ kind: 'access', timeUnit: 'us', epochCount: 6 });
    for await (const epoch of trace) {
      expect([...epoch.times!]).toEqual(pages.map((_, i) => 1000 + i * 7));
      expect(epoch.timeMs).toBe(1);
    }
  });

  it('many accesses stream in batches of 65536', async () => {
    const path = tempFile();
    await writeTrace(path, { kind: 'access' }, (writer) => {
      for (let i = 0; i < 200_000; i++) writer.writeAccess(i, (i * 7919) % 100_003);
    });
    const keys = await readAccessKeys(path);
    expect(keys.length).toBe(200_000);
    expect(keys[123_456]).toBe((123_456 * 7919) % 100_003);
    expect(await drain(path)).toBe(4);
  });

  it('reads plain text and CSV: page, or time,page per line, header and comments skipped', async () => {
    const keysOnly = tempFile('keys.txt');
    writeFileSync(keysOnly, '42932745\n42932746\n\n# comment\n7\n');
    expect([...(await readAccessKeys(keysOnly))]).toEqual([42932745, 42932746, 7]);
    const csv = tempFile('trace.csv');
    writeFileSync(csv, 'time,page\n10,1\n20,2\r\n35,1\n');
    const trace = await readTrace(csv);
    expect(trace.header).toMatchObject({ format: 'text', kind: 'access' });
    for await (const epoch of trace) {
      expect([...epoch.pages]).toEqual([1, 2, 1]);
      expect([...epoch.times!]).toEqual([10, 20, 35]);
    }
    const info = await traceInfo(csv);
    expect(info).toMatchObject({ dirtyings: 3, distinctPages: 2, hotSetPages: 2 });
  });

  it('text errors name the line', async () => {
    const bad = tempFile('bad.txt');
    writeFileSync(bad, '1\n2\nthree\n');
    expect((await errorOf(readAccessKeys(bad))).message).toMatch(/bad.txt line 3: expected a page number \(an integer 0 to 2\^53-1\), found "three"$/);
    writeFileSync(bad, '1,2\n3\n');
    expect((await errorOf(readAccessKeys(bad))).message).toMatch(/line 2: expected "time,page" like the first line, found "3"$/);
    writeFileSync(bad, '1,2,3\n');
    expect((await errorOf(readAccessKeys(bad))).message).toMatch(/line 1: expected "page" or "time,page" \(two integers at most\), found "1,2,3"$/);
  });

  it('one text grammar: strict integers, BOM, CR LF, header, CR-only and empty files refused', async () => {
    const file = tempFile('grammar.txt');
    const keysOf = async (text: string | Uint8Array): Promise<number[]> => {
      writeFileSync(file, text);
      return [...(await readAccessKeys(file))];
    };
    const messageOf = async (text: string): Promise<string> => {
      writeFileSync(file, text);
      const viaTrace = (await errorOf(readAccessKeys(file))).message;
      // The cache tooling reads text through the same parser: the same message.
      expect(() => parseAccessKeys(text, file)).toThrow(viaTrace);
      return viaTrace.slice(file.length + 1);
    };
    expect(await keysOf(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('time,page\r\n1,5\r\n2\t6\r\n3  7\n')]))).toEqual([5, 6, 7]);
    expect(await keysOf('page\n# a comment\n\n  9\t\n9007199254740991\n')).toEqual([9, 9007199254740991]);
    for (const number of ['1e3', '0x10', '2.0', '1;2']) expect(await messageOf(`1\n${number}\n`)).toBe(`line 2: expected an integer 0 to 2^53-1, then a comma, tab or space, found "${number}"`);
    expect(await messageOf('1\n+5\n')).toBe('line 2: expected a page number (an integer 0 to 2^53-1), found "+5"');
    expect(await messageOf('1\r2\r3\r')).toBe('line 1: a carriage return inside the line (CR-only line endings? lines must end with LF or CR LF), found "1\\r2\\r3"');
    expect(await messageOf('this is not a trace\n')).toBe('line 1: expected a page number (an integer 0 to 2^53-1), found "this is not a trace"');
    writeFileSync(file, 'time,page\n# nothing else\n');
    expect((await errorOf(readAccessKeys(file))).message).toBe(`${file}: no accesses: expected lines of "page" or "time,page" (integers), found only a header`);
    writeFileSync(file, '\n\n');
    expect((await errorOf(traceInfo(file))).message).toBe(`${file}: no accesses: expected lines of "page" or "time,page" (integers), found no data lines`);
  });

  it('text traces stream in 1 MiB reads: lines across read boundaries parse as whole lines', async () => {
    const file = tempFile('long.txt');
    const count = 300_000;
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(`${i * 3},${(i * 7919) % 100_003}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const keys = await readAccessKeys(file);
    expect(keys.length).toBe(count);
    for (let i = 0; i < count; i += 9973) expect(keys[i]).toBe((i * 7919) % 100_003);
    expect(keys[count - 1]).toBe(((count - 1) * 7919) % 100_003);
  });

  it('replays access traces as writes to the accessed pages', async () => {
    const csv = tempFile('replay.csv');
    writeFileSync(csv, '1000,3\n2000,4\n3000,3\n9000,60\n');
    const workload = createWorkload(`trace:${csv},unit=us,bytes=4,content=zero`, { pageCount: 64 });
    const memory = new GuestMemory(64);
    workload.init(memory);
    const dirty = new DirtyBitmap(64);
    workload.advance(memory, 1, dirty); // accesses at 0 ms and 1 ms after the first
    expect([...dirty.bits.keys()].filter((page) => dirty.isDirty(page))).toEqual([3, 4]);
    expect(memory.page(3).some((byte) => byte !== 0)).toBe(true);
    workload.advance(memory, 100, dirty);
    expect(dirty.isDirty(60)).toBe(true);
    const big = tempFile('big.txt');
    writeFileSync(big, '5\n100\n');
    const folded = createWorkload(`trace:${big},fold=true`, { pageCount: 64 });
    folded.init(memory);
    const foldedDirty = new DirtyBitmap(64);
    folded.advance(memory, 1, foldedDirty);
    expect(foldedDirty.isDirty(100 % 64)).toBe(true);
    const strict = createWorkload(`trace:${big}`, { pageCount: 64 });
    strict.init(memory);
    expect(() => strict.advance(memory, 1, new DirtyBitmap(64))).toThrow(/page 100 is beyond the 64 guest pages given to it \(add fold=true/);
  });

  it('content traces too large for the guest are refused', async () => {
    const path = tempFile();
    await synthesizeTrace({ out: path, spec: 'idle', pageCount: 100, durationMs: 0, stepMs: 1 });
    expect(() => createWorkload(`trace:${path}`, { pageCount: 50 })).toThrow(/has 100 pages, more than the 50 pages given to it/);
    expect(() => createWorkload(`trace:${path}`, { pageCount: 100, pageSize: 8192 })).toThrow(/has 4096-byte pages, the guest has 8192-byte pages/);
  });
});

describe('integrity: corrupt, truncated and foreign files', () => {
  async function smallTrace(): Promise<{ path: string; bytes: Buffer }> {
    const path = tempFile();
    await synthesizeTrace({ out: path, spec: 'uniform:rate=2000,bytes=64', pageCount: 32, durationMs: 20, stepMs: 5 });
    return { path, bytes: readFileSync(path) };
  }

  it('every truncation gives a TraceError naming an offset', async () => {
    const { bytes } = await smallTrace();
    const cut = tempFile();
    const step = Math.max(1, Math.floor(bytes.length / 150));
    for (let length = 0; length < bytes.length; length += step) {
      writeFileSync(cut, bytes.subarray(0, length));
      const error = await errorOf(drain(cut));
      expect(error).toBeInstanceOf(TraceError);
      expect(error.message).toMatch(length === 0 ? /empty file/ : /(truncated|corrupt) at offset \d+: expected /);
    }
    writeFileSync(cut, bytes.subarray(0, bytes.length - 3));
    expect((await errorOf(drain(cut))).message).toMatch(new RegExp(`truncated at offset ${bytes.length - 3}: expected \\d+ bytes for the Z record at offset \\d+`));
  });

  it('every flipped byte gives a TraceError (checksums cover header and records)', async () => {
    const { bytes } = await smallTrace();
    const flipped = tempFile();
    const step = Math.max(1, Math.floor(bytes.length / 200));
    for (let offset = 8; offset < bytes.length; offset += step) {
      const copy = Buffer.from(bytes);
      copy[offset] ^= 0x10;
      writeFileSync(flipped, copy);
      const error = await errorOf(drain(flipped));
      expect(error).toBeInstanceOf(TraceError);
      expect(error.message).toMatch(/offset \d+|version \d+ is not supported/);
    }
  });

  it('a corrupt record names its offset and the checksums', async () => {
    const { bytes } = await smallTrace();
    const copy = Buffer.from(bytes);
    copy[copy.length - 30] ^= 0xff; // inside the end record
    const path = tempFile();
    writeFileSync(path, copy);
    expect((await errorOf(drain(path))).message).toMatch(/corrupt at offset \d+: Z record checksum mismatch \(expected 0x[0-9a-f]{8} as stored, computed 0x[0-9a-f]{8}\)/);
  });

  it('an unknown version says so', async () => {
    const { bytes } = await smallTrace();
    const copy = Buffer.from(bytes);
    copy.writeUInt16LE(7, 8);
    const path = tempFile();
    writeFileSync(path, copy);
    expect((await errorOf(readTrace(path))).message).toMatch(/trace format version 7 is not supported \(this pagedelta reads version 1\)/);
  });

  it('a binary file that is not a trace says so; bytes after the end record are refused', async () => {
    const path = tempFile();
    writeFileSync(path, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 3]));
    expect((await errorOf(readTrace(path))).message).toMatch(/not a pagedelta trace: expected the magic bytes 89 50 44 54 52 0d 0a 1a at offset 0/);
    const { bytes } = await smallTrace();
    writeFileSync(path, Buffer.concat([bytes, Buffer.from([0])]));
    expect((await errorOf(drain(path))).message).toMatch(new RegExp(`corrupt at offset ${bytes.length}: expected the end of the file after the end record`));
  });

  it('a trace whose writer never closed it is reported as such', async () => {
    const path = tempFile();
    const writer = TraceWriter.open(path, { kind: 'content' });
    writer.beginEpoch(0);
    writer.writePage(1, new Uint8Array(4096).fill(9));
    writer.endEpoch();
    // simulate a crash: copy the partial file as it is on disk
    (writer as unknown as { sink: { flush(): void } }).sink.flush();
    const partial = readdirSync(directory).find((name) => name.includes('.partial-'))!;
    const copy = tempFile();
    writeFileSync(copy, readFileSync(join(directory, partial)));
    writer.abort();
    expect((await errorOf(drain(copy))).message).toMatch(/truncated at offset \d+: expected a record or the end record, the file ends there \(the writer never closed it\)/);
    truncateSync(copy, 0);
  });
});

describe('trace info', () => {
  it('summarises a seed-loadgen trace exactly', async () => {
    const path = tempFile();
    await synthesizeTrace({ out: path, spec: 'seed-loadgen:rate=1000', pageCount: 64, durationMs: 1000, stepMs: 10 });
    const info = await traceInfo(path);
    // Byte 1234+i of page i is 10k*i mod 256 after epoch k: some writes land on 0 again.
    let zeroWrites = 0;
    for (let k = 1; k <= 100; k++) for (let i = 1; i < 64; i++) if ((10 * k * i) % 256 === 0) zeroWrites++;
    expect(zeroWrites).toBeGreaterThan(0);
    expect(info).toMatchObject({
      durationMs: 1000,
      epochs: 101,
      initialPages: 0,
      dirtyings: 6400,
      distinctPages: 64,
      hotSetPages: 58, // all pages equally hot: ceil(0.9 x 64)
      meanPagesPerEpoch: 64,
      zeroPageFraction: 2 / 64, // page 0 (+0 each pass) and page 32 (1000 x 32 = 0 mod 256)
      zeroWriteFraction: zeroWrites / 6400,
      unchangedWriteFraction: 1 / 64,
      meanChangedBytes: 63 / 64, // one byte per page but page 0
    });
    const total = info.rate.reduce((sum, bucket) => sum + bucket.pages, 0);
    expect(total).toBeCloseTo(6400, 6);
    // epochs every 10 ms, 64 pages each: 6400 pages/s in every bucket
    for (const bucket of info.rate) expect(bucket.pagesPerSecond).toBeCloseTo(6400, 6);
    const tables = traceInfoTables(info);
    expect(tables.map((table) => table.title)).toEqual(['Trace header', 'Summary', 'Dirty rate over time']);
  });
});
