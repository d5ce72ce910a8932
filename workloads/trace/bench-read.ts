/**
 * The cost of reading a trace as `trace info` and replay do: every record read, checked and
 * decoded. Two modes:
 * - `info`: whole `trace info` passes (content pages applied to a sparse image, then counted);
 * - `replay`: content pages decoded into a guest memory as the trace workload does, after one
 *   untimed pass that faults the guest in (a replay's guest is touched by its initial content).
 * Median of several whole passes, in MB of file per second and page entries (or accesses) per
 * second.
 */
import { statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { median } from '../../units/statistics.js';
import { deltaAddon } from '../../codecs/native.js';
import { GuestMemory } from '../memory.js';
import { traceInfo } from './info.js';
import { MemoryTarget, NATIVE_LZ4_MAX_PAGE } from './reader.js';
import type { TraceHeader } from './format.js';
import { TraceSource } from './source.js';

export type TraceReadMode = 'info' | 'replay';
export const TRACE_READ_MODES: readonly TraceReadMode[] = ['info', 'replay'];

export interface TraceReadOptions {
  /** XOR+LZ4 entries through the native addon when it was built (default true; false: the TypeScript path). */
  native?: boolean;
  /** info: decode into a page image even when the end record holds what it would tell (default false). */
  decodePages?: boolean;
}

export interface TraceReadBenchmark {
  path: string;
  mode: TraceReadMode;
  /** XOR+LZ4 entries went through the native addon. */
  native: boolean;
  /** info: where the figures that need page contents came from (null: replay, or an access trace). */
  contentFiguresFrom: 'end record' | 'decoded pages' | null;
  fileBytes: number;
  /** Per pass: page entries after the initial image (info) or all of them (replay), or accesses. */
  entries: number;
  rounds: number;
  passMs: number[];
  medianMs: number;
  /** 10^6 bytes of file per second, at the median pass. */
  MBps: number;
  entriesPerSecond: number;
}

/** One replay pass: every content record decoded into `memory`; returns the page entries. */
function replayPass(path: string, memory: GuestMemory, native: boolean): number {
  const source = new TraceSource(path, { native });
  try {
    const target = new MemoryTarget(memory);
    let entries = 0;
    for (let batch = source.next(target); batch !== null; batch = source.next(target)) entries += batch.count;
    return entries;
  } finally {
    source.close();
  }
}

/** The trace's header (opened once, before any pass). */
function readHeader(path: string): TraceHeader {
  const source = new TraceSource(path);
  try {
    return source.header;
  } finally {
    source.close();
  }
}

/** A guest for replaying `path`, refused (one line) when it is not a content trace or too large for this machine. */
function replayGuest(path: string, header: TraceHeader): GuestMemory {
  const { kind, pageCount, pageSize, complete } = header;
  if (kind !== 'content') throw new Error(`--replay reads content traces; ${path} is an access trace`);
  // As the trace workload: without a page count the guest's size is unknown.
  if (!complete && pageCount === 0) throw new Error(`--replay: ${path} was never closed by its writer and declares no page count, so the guest it needs is unknown`);
  const bytes = pageCount * pageSize;
  if (bytes > totalmem() / 2) throw new Error(`--replay needs a ${pageCount}-page guest (${(bytes / 2 ** 30).toFixed(1)} GiB), more than half of this machine's memory`);
  return new GuestMemory(Math.max(1, pageCount), pageSize);
}

export async function benchmarkTraceRead(path: string, rounds = 5, mode: TraceReadMode = 'info', options: TraceReadOptions = {}): Promise<TraceReadBenchmark> {
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 1000)) throw new Error(`--rounds must be an integer in 1..1000, got ${rounds}`);
  if (!TRACE_READ_MODES.includes(mode)) throw new Error(`mode must be one of ${TRACE_READ_MODES.join(', ')}, got ${mode}`);
  const header = readHeader(path);
  // Whether the native kernel takes part: binary content traces of pages it takes.
  const native = options.native !== false && deltaAddon !== null && header.format !== 'text' && header.kind === 'content' && header.pageSize <= NATIVE_LZ4_MAX_PAGE;
  const memory = mode === 'replay' ? replayGuest(path, header) : null;
  if (memory !== null) replayPass(path, memory, native); // untimed: faults the guest in
  let contentFiguresFrom: TraceReadBenchmark['contentFiguresFrom'] = null;
  const passMs: number[] = [];
  let entries = 0;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    if (memory !== null) entries = replayPass(path, memory, native);
    else {
      const info = await traceInfo(path, { native, decodePages: options.decodePages === true });
      entries = info.dirtyings;
      contentFiguresFrom = info.contentFiguresFrom;
    }
    passMs.push(performance.now() - started);
  }
  const fileBytes = statSync(path).size;
  const medianMs = median(passMs);
  return { path, mode, native, contentFiguresFrom, fileBytes, entries, rounds, passMs, medianMs, MBps: fileBytes / 1e6 / (medianMs / 1e3), entriesPerSecond: entries / (medianMs / 1e3) };
}
