/**
 * Cost of the workloads layer: wall time of each generator per simulated second (the issue's
 * target: a workload dirtying 1 M pages/s costs well under 1 s per simulated second), and
 * trace write/read throughput. Figures are medians of `repeats` runs; the machine is shared,
 * so compare them as ratios within one run.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirtyBitmap, GuestMemory } from './memory.js';
import { createWorkload } from './registry.js';
import { readTrace } from './trace/stream.js';
import { TraceWriter } from './trace/writer.js';
import { median } from '../units/statistics.js';

export const DEFAULT_BENCH_SPECS = [
  'uniform:rate=1m,bytes=16',
  'hotset:rate=1m,bytes=16',
  'zipf:skew=0.99,rate=1m,bytes=16',
  'scenario:pattern=SPARSE,rate=1m',
  'seed-loadgen:rate=15625',
  'qemu-age-test:rate=244',
  'scan:rate=1m',
  'uniform:rate=1m,bytes=page',
];

export interface WorkloadBenchRow {
  workload: string;
  pages: number;
  stepMs: number;
  initMs: number;
  /** Page writes reported per simulated second. */
  writesPerSimSecond: number;
  /** Median wall time per simulated second. */
  wallMsPerSimSecond: number;
  nsPerWrite: number;
  [key: string]: string | number;
}

class CountingBitmap extends DirtyBitmap {
  writes = 0;
  override markDirty(pageNumber: number): void {
    this.writes++;
    super.markDirty(pageNumber);
  }
}

/**
 * The memory floor, measured in the same run: per write, `lines` XORs of one byte at random
 * offsets of a random page of the same image (an inline LCG, no PRNG object, no tracker).
 * Random writes over a large image cost cache and TLB misses whatever generates them.
 */
export function referenceWriteCost(memory: GuestMemory, writes: number, lines: number): number {
  const chunks = memory.chunks;
  const { chunkShift, chunkMask, pageSize, pageCount } = memory;
  let state = 12345;
  const start = performance.now();
  for (let write = 0; write < writes; write++) {
    state = (Math.imul(state, 1103515245) + 12345) | 0;
    const page = Math.floor(((state >>> 0) / 4294967296) * pageCount);
    const chunk = chunks[page >>> chunkShift]!;
    const base = (page & chunkMask) * pageSize;
    for (let line = 0; line < lines; line++) {
      state = (Math.imul(state, 1103515245) + 12345) | 0;
      chunk[base + ((state >>> 8) & (pageSize - 1))] ^= 1;
    }
  }
  return performance.now() - start;
}

export interface WorkloadBenchOptions {
  specs?: string[];
  pageCount?: number;
  simulatedMs?: number;
  stepMs?: number;
  repeats?: number;
  seed?: number;
  onProgress?: (message: string) => void;
}

export function benchmarkWorkloads(options: WorkloadBenchOptions = {}): WorkloadBenchRow[] {
  const specs = options.specs ?? DEFAULT_BENCH_SPECS;
  const pageCount = options.pageCount ?? 262144;
  const simulatedMs = options.simulatedMs ?? 1000;
  const stepMs = options.stepMs ?? 1;
  const repeats = options.repeats ?? 3;
  const memory = new GuestMemory(pageCount);
  const rows: WorkloadBenchRow[] = [];
  // Fault the image in once, so that no row pays for first touches.
  for (const chunk of memory.chunks) chunk.fill(1);
  for (const lines of [1, 4]) {
    const writes = Math.round(1e6 * (simulatedMs / 1000));
    const walls = Array.from({ length: repeats }, () => referenceWriteCost(memory, writes, lines));
    const wall = median(walls);
    rows.push({
      workload: `reference: ${lines} random byte XOR${lines > 1 ? 's' : ''} per write`,
      pages: pageCount,
      stepMs,
      initMs: 0,
      writesPerSimSecond: (writes * 1000) / simulatedMs,
      wallMsPerSimSecond: (wall * 1000) / simulatedMs,
      nsPerWrite: (wall * 1e6) / writes,
    });
  }
  for (const spec of specs) {
    const workload = createWorkload(spec, { pageCount, seed: options.seed ?? 1 });
    const walls: number[] = [];
    const inits: number[] = [];
    let writes = 0;
    for (let repeat = 0; repeat < repeats; repeat++) {
      const initStart = performance.now();
      workload.init(memory);
      inits.push(performance.now() - initStart);
      const dirty = new CountingBitmap(pageCount);
      const start = performance.now();
      for (let time = stepMs; time <= simulatedMs + 1e-9; time += stepMs) workload.advance(memory, time, dirty);
      walls.push(performance.now() - start);
      writes = dirty.writes;
    }
    const wall = median(walls);
    const row: WorkloadBenchRow = {
      workload: workload.spec.length > 60 ? spec : workload.spec,
      pages: pageCount,
      stepMs,
      initMs: median(inits),
      writesPerSimSecond: (writes * 1000) / simulatedMs,
      wallMsPerSimSecond: (wall * 1000) / simulatedMs,
      nsPerWrite: writes > 0 ? (wall * 1e6) / writes : 0,
    };
    rows.push(row);
    options.onProgress?.(`${row.workload}: ${row.wallMsPerSimSecond.toFixed(1)} ms per simulated s (${row.writesPerSimSecond} writes/s)`);
  }
  return rows;
}

export interface TraceBenchRow {
  workload: string;
  epochs: number;
  pageEntries: number;
  traceBytes: number;
  bytesPerEntry: number;
  /** Page data (entries x page size) written per second of wall time, MB/s (10^6). */
  writeMBps: number;
  readMBps: number;
  [key: string]: string | number;
}

/** Writes the pages a workload dirties, epoch by epoch, then reads the trace back; times both. */
export async function benchmarkTraceIO(
  options: { spec?: string; pageCount?: number; simulatedMs?: number; stepMs?: number; directory?: string } = {},
): Promise<TraceBenchRow> {
  const spec = options.spec ?? 'zipf:skew=0.99,rate=200k,bytes=16';
  const pageCount = options.pageCount ?? 65536;
  const simulatedMs = options.simulatedMs ?? 1000;
  const stepMs = options.stepMs ?? 100;
  const path = join(options.directory ?? tmpdir(), `pagedelta-bench-${process.pid}.pdt`);
  const workload = createWorkload(spec, { pageCount, seed: 1 });
  const memory = new GuestMemory(pageCount);
  workload.init(memory);
  const dirty = new DirtyBitmap(pageCount);
  const writer = TraceWriter.open(path, { kind: 'content', pageCount, source: `bench ${spec}` });
  let writeMs = 0;
  let entries = 0;
  try {
    let start = performance.now();
    writer.writeEpoch(0, memory, Array.from({ length: pageCount }, (_, page) => page));
    writeMs += performance.now() - start;
    entries += pageCount;
    for (let time = stepMs; time <= simulatedMs + 1e-9; time += stepMs) {
      dirty.clearAll();
      workload.advance(memory, time, dirty);
      start = performance.now();
      writer.beginEpoch(time);
      for (let page = 0; page < pageCount; page++) {
        if (dirty.bits[page] === 0) continue;
        writer.writePage(page, memory.chunks[page >>> memory.chunkShift]!, (page & memory.chunkMask) * memory.pageSize);
        entries++;
      }
      writer.endEpoch();
      writeMs += performance.now() - start;
    }
    start = performance.now();
    const summary = writer.close();
    writeMs += performance.now() - start;
    start = performance.now();
    const trace = await readTrace(path);
    let readEntries = 0;
    for await (const epoch of trace) readEntries += epoch.pages.length;
    const readMs = performance.now() - start;
    if (readEntries !== entries) throw new Error(`trace bench: read ${readEntries} entries, wrote ${entries}`);
    return {
      workload: spec,
      epochs: summary.epochs,
      pageEntries: entries,
      traceBytes: summary.bytes,
      bytesPerEntry: summary.bytes / entries,
      writeMBps: (entries * memory.pageSize) / 1000 / writeMs,
      readMBps: (entries * memory.pageSize) / 1000 / readMs,
    };
  } finally {
    writer.abort();
    rmSync(path, { force: true });
  }
}
