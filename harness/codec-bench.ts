/**
 * Codec benchmark through the public API, per call, as callers use it: `codec.encode(old,
 * cur, out)` and `codec.decode(encoded, page)` page by page over a pool of canonical page pairs
 * larger than the per-core caches, on two kinds of pages:
 *
 * - `kernel-visible`: pages from allocatePages (how GuestMemory, the cache slab and the
 *   destination hold them), and the encode output and decode inputs too: the delta kernels
 *   work on them in place;
 * - `ordinary`: subarrays of plain Uint8Arrays: xbzrle hands them to the native addon where it
 *   was built (codecs/addon), otherwise (and xbrle always) the kernels copy them in (and out).
 *
 * References measured in the same run, interleaved with the codecs (each round measures every
 * task once, in an order rotated per round), median over the rounds: a plain XOR pass over the
 * same pages, and, when a C compiler exists, the project's own C reference (scalar XBZRLE,
 * word-at-a-time XBRLE; codecs/reference-c/xbzrle.c) over the same page pairs. Every sample
 * runs for at least timeMs / rounds of CPU time (whole calls), so no sample is a few
 * microseconds long; throughputs are per CPU second on both sides.
 */
import { join } from 'node:path';
import type { Codec } from '../codecs/codec.js';
import { deltaAddonStatus } from '../codecs/native.js';
import { allocatePages } from '../codecs/page-memory.js';
import { codecNames, getCodec } from '../codecs/registry.js';
import type { XbrleCodec } from '../codecs/xbrle.js';
import type { XbzrleCodec } from '../codecs/xbzrle.js';
import { median, medianRatio } from '../units/statistics.js';
import { xorInto } from '../codecs/words.js';
import { type Scenario, canonicalOldPages, getScenario, scenarioPages, SCENARIOS } from '../workloads/scenarios.js';
import { type CPass, CReferenceServer, compileCReference, removeCompiled, writePairsFile } from './c-reference.js';

export type PageKind = 'kernel-visible' | 'ordinary';

export interface CodecBenchOptions {
  /** Codec names (default: all seven). */
  codecs?: string[];
  /** Scenario names or STEP/LEN (default: the four of the seed table). */
  scenarios?: string[];
  /** Distinct page pairs in the pool (default 16384 = 64 MiB of old pages). */
  pages?: number;
  /** Measuring time per task over all rounds, ms (default 250): each sample lasts timeMs / rounds. */
  timeMs?: number;
  /** Rounds; every figure is the median over them (default 7, at least 1). */
  rounds?: number;
  /** Pages per timed stretch between clock reads (default 256). */
  batchPages?: number;
  pageSize?: number;
  /** Run the C reference when a compiler exists (default true). */
  cReference?: boolean;
  /** Called before each scenario starts (progress); never prints by itself. */
  onProgress?: (message: string) => void;
}

export interface CodecBenchRow {
  codec: string;
  /** Where the pages live: kernel-visible (allocatePages) or ordinary (a plain Uint8Array). */
  pages: PageKind;
  scenario: string;
  step: number;
  len: number;
  /** Mean encoded bytes per page over the pool (pages that fit the 2 x page limit). */
  encodedBytes: number;
  /** encodedBytes as a percentage of the page size. */
  encodedPercent: number;
  /** Pages whose encoding exceeded the page size (QEMU would send them whole). */
  overflowPages: number;
  /** Median over the rounds, MB/s of input pages through the public API. */
  encodeMBps: number;
  decodeMBps: number | null;
  /** The in-run XOR pass over the same pages (median over the rounds). */
  xorMBps: number;
  encodeVsXor: number;
  decodeVsXor: number | null;
  /**
   * The C reference of the same codec on the same pairs, same rounds (null: none for this
   * codec, or skipped). encodeVsC/decodeVsC are the median over the rounds of each round's
   * ratio (units/statistics.ts medianRatio), not the ratio of the two medians.
   */
  cEncodeMBps: number | null;
  cDecodeMBps: number | null;
  encodeVsC: number | null;
  decodeVsC: number | null;
  /** Every page of the pool decoded back to the new page exactly. */
  verified: boolean;
}

export interface CodecBenchResult {
  rows: CodecBenchRow[];
  /** How xbzrle and xbrle handle ordinary pages here: the native addon, or the WebAssembly copy path (and why). */
  ordinaryPages: string;
  /** Where the kernel-visible pages went: 'xbzrle <path>, xbrle <path>' (native addon, wasm in place or js). */
  kernelVisiblePages: string;
  /** How the C reference ran ("gcc -O2"), or why it did not. */
  cReference: string;
  rounds: number;
}

/** Codecs whose kernels work in place on kernel-visible pages (measured on both kinds). */
const KERNEL_CODECS = new Set(['xbzrle', 'xbrle']);

function pageViews(pages: Uint8Array, pageSize: number): Uint8Array[] {
  const views: Uint8Array[] = [];
  for (let offset = 0; offset < pages.length; offset += pageSize) views.push(pages.subarray(offset, offset + pageSize));
  return views;
}

/** One timed task: runs `count` calls from `cursor` on; returns the next cursor. */
type Stretch = (cursor: number, count: number) => number;

/** CPU time this process has used, ms (user + system). */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * Runs whole stretches of `batch` calls until `minMs` of CPU time have passed; MB/s of input
 * pages per CPU second. CPU time, not wall time, on both sides (the C reference uses its
 * thread's CPU clock): on a shared machine the scheduler would otherwise favour whichever side
 * had just slept, and preemption would count as codec time.
 */
function sample(stretch: Stretch, batch: number, pageSize: number, minMs: number, state: { cursor: number }): number {
  let calls = 0;
  const started = cpuMs();
  let elapsed = 0;
  do {
    state.cursor = stretch(state.cursor, batch);
    calls += batch;
    elapsed = cpuMs() - started;
  } while (elapsed < minMs);
  return (calls * pageSize) / 1e6 / (elapsed / 1e3);
}

interface Task {
  name: string;
  stretch: Stretch;
  state: { cursor: number };
  samples: number[];
}

interface Prepared {
  codec: Codec;
  kind: PageKind;
  encodedBytes: number;
  overflowPages: number;
  verified: boolean;
  encodeTask: Task;
  decodeTask: Task | null;
}

/** Runs the benchmark; one row per (scenario, codec, page kind). */
export async function benchmarkCodecs(options: CodecBenchOptions = {}): Promise<CodecBenchResult> {
  const pageSize = options.pageSize ?? 4096;
  const pages = options.pages ?? 16384;
  const timeMs = options.timeMs ?? 250;
  const rounds = options.rounds ?? 7;
  const batch = Math.min(options.batchPages ?? 256, pages);
  if (!Number.isInteger(pages) || pages < 1) throw new Error(`--pages must be a positive integer, got ${pages}`);
  if (!(timeMs > 0)) throw new Error(`--time must be a positive number of ms, got ${timeMs}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${rounds}`);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch must be a positive integer, got ${batch}`);
  const selected = options.codecs ?? codecNames();
  for (const name of selected) getCodec(name); // unknown names fail before any work
  const scenarios: Scenario[] = options.scenarios ? options.scenarios.map(getScenario) : [...SCENARIOS];
  const sampleMs = timeMs / rounds;

  const plainOld = canonicalOldPages(pages, pageSize);
  const visibleOld = allocatePages(pages, pageSize);
  visibleOld.set(plainOld);
  const scenarioNew = scenarios.map((scenario) => scenarioPages(plainOld, scenario, pageSize));

  // The C reference over the same pairs, when wanted and a compiler exists.
  const wantC = (options.cReference ?? true) && selected.some((name) => KERNEL_CODECS.has(name));
  const compiled = wantC ? compileCReference() : { skipped: 'not requested' };
  let server: CReferenceServer | null = null;
  let cReference = 'skipped' in compiled ? `skipped: ${compiled.skipped}` : `${compiled.compiler} -O2 (codecs/reference-c/xbzrle.c)`;
  const rows: CodecBenchRow[] = [];
  try {
    if ('executable' in compiled) {
      const pairsFile = join(compiled.dir, 'pairs.bin');
      writePairsFile(pairsFile, pageSize, plainOld, scenarioNew);
      server = new CReferenceServer(compiled.executable, pairsFile);
    }
    for (let s = 0; s < scenarios.length; s++) {
      const scenario = scenarios[s]!;
      options.onProgress?.(`scenario ${scenario.name} (step ${scenario.step}, len ${scenario.len})`);
      const plainNew = scenarioNew[s]!;
      const visibleNew = allocatePages(pages, pageSize);
      visibleNew.set(plainNew);
      const views: Record<PageKind, { old: Uint8Array[]; cur: Uint8Array[]; work: Uint8Array[]; out: Uint8Array }> = {
        'kernel-visible': {
          old: pageViews(visibleOld, pageSize),
          cur: pageViews(visibleNew, pageSize),
          work: pageViews(copyVisible(visibleOld, pages, pageSize), pageSize),
          out: allocatePages(1, pageSize),
        },
        ordinary: {
          old: pageViews(plainOld, pageSize),
          cur: pageViews(plainNew, pageSize),
          work: pageViews(plainOld.slice(), pageSize),
          out: new Uint8Array(pageSize),
        },
      };
      const xorOut = new Uint8Array(pageSize);
      const plain = views.ordinary;
      const xorTask: Task = {
        name: 'xor',
        state: { cursor: 0 },
        samples: [],
        stretch: (cursor, count) => {
          for (let k = 0; k < count; k++) {
            xorInto(plain.old[cursor]!, plain.cur[cursor]!, xorOut);
            cursor = cursor + 1 === pages ? 0 : cursor + 1;
          }
          return cursor;
        },
      };
      const prepared: Prepared[] = [];
      for (const name of selected) {
        const kinds: PageKind[] = KERNEL_CODECS.has(name) ? ['kernel-visible', 'ordinary'] : ['ordinary'];
        for (const kind of kinds) {
          // One codec instance per (codec, kind): each call site below sees one receiver.
          prepared.push(prepareCodec(getCodec(name), kind, views[kind], pageSize, pages));
        }
      }
      const tasks: Task[] = [xorTask, ...prepared.flatMap((entry) => (entry.decodeTask ? [entry.encodeTask, entry.decodeTask] : [entry.encodeTask]))];
      const cPasses: CPass[] = [];
      const cIndex = tasks.length; // the C reference takes its turn in the rotation
      // Warm-up: one short sample of each task (JIT tiers, page faults), not recorded.
      for (const task of tasks) sample(task.stretch, batch, pageSize, Math.min(20, sampleMs), task.state);
      if (server !== null) await server.measure(s);
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k <= tasks.length; k++) {
          const index = (k + round) % (tasks.length + 1);
          if (index === cIndex) {
            // As long as each codec task's sample: the two sides are timed over equal stretches.
            if (server !== null) cPasses.push(await server.measure(s, sampleMs));
            continue;
          }
          const task = tasks[index]!;
          task.samples.push(sample(task.stretch, batch, pageSize, sampleMs, task.state));
        }
      }
      const xor = median(xorTask.samples);
      const cEncode: Record<string, number | null> = {
        xbzrle: cPasses.length > 0 ? median(cPasses.map((pass) => pass.encodeMBps)) : null,
        xbrle: cPasses.length > 0 ? median(cPasses.map((pass) => pass.xbrleEncodeMBps)) : null,
      };
      const cDecode: Record<string, number | null> = { xbzrle: cPasses.length > 0 ? median(cPasses.map((pass) => pass.decodeMBps)) : null };
      // Each round's C figures, for the ratios (per round, then the median: see medianRatio).
      const cRounds: Record<string, { encode: number[]; decode: number[] | null }> = {
        xbzrle: { encode: cPasses.map((pass) => pass.encodeMBps), decode: cPasses.map((pass) => pass.decodeMBps) },
        xbrle: { encode: cPasses.map((pass) => pass.xbrleEncodeMBps), decode: null },
      };
      for (const entry of prepared) {
        const name = entry.codec.name;
        const encode = median(entry.encodeTask.samples);
        const decode = entry.decodeTask ? median(entry.decodeTask.samples) : null;
        const cEnc = cEncode[name] ?? null;
        const cDec = cDecode[name] ?? null;
        rows.push({
          codec: name,
          pages: entry.kind,
          scenario: scenario.name,
          step: scenario.step,
          len: scenario.len,
          encodedBytes: entry.encodedBytes,
          encodedPercent: (100 * entry.encodedBytes) / pageSize,
          overflowPages: entry.overflowPages,
          encodeMBps: encode,
          decodeMBps: decode,
          xorMBps: xor,
          encodeVsXor: encode / xor,
          decodeVsXor: decode === null ? null : decode / xor,
          cEncodeMBps: cEnc,
          cDecodeMBps: cDec,
          encodeVsC: cEnc === null ? null : medianRatio(entry.encodeTask.samples, cRounds[name]!.encode),
          decodeVsC: cDec === null || entry.decodeTask === null ? null : medianRatio(entry.decodeTask.samples, cRounds[name]!.decode!),
          verified: entry.verified,
        });
      }
    }
  } catch (error) {
    if (server !== null && error instanceof Error && /C reference/.test(error.message)) cReference = `failed: ${error.message}`;
    throw error;
  } finally {
    server?.stop();
    removeCompiled(compiled);
  }
  const xbzrle = getCodec('xbzrle') as XbzrleCodec;
  const xbrle = getCodec('xbrle') as XbrleCodec;
  // xbzrle and xbrle take the same path for ordinary pages (both use the addon when it loaded).
  const ordinaryPages = xbzrle.ordinaryPagePath === 'native addon' ? deltaAddonStatus : `${xbzrle.ordinaryPagePath} (${deltaAddonStatus})`;
  const kernelVisiblePages = `xbzrle ${xbzrle.kernelVisiblePagePath}, xbrle ${xbrle.kernelVisiblePagePath}`;
  return { rows, ordinaryPages, kernelVisiblePages, cReference, rounds };
}

function copyVisible(source: Uint8Array, pages: number, pageSize: number): Uint8Array {
  const copy = allocatePages(pages, pageSize);
  copy.set(source);
  return copy;
}

/**
 * Encodes every page once (sizes, decode inputs), checks each decodes back exactly, and builds
 * the timed tasks. Decoding is timed in place onto a working copy: XBZRLE is idempotent, XOR
 * codecs toggle between old and new; the work per page is the same either way.
 */
function prepareCodec(
  codec: Codec,
  kind: PageKind,
  views: { old: Uint8Array[]; cur: Uint8Array[]; work: Uint8Array[]; out: Uint8Array },
  pageSize: number,
  pages: number,
): Prepared {
  const visible = kind === 'kernel-visible';
  const out = new Uint8Array(2 * pageSize);
  const check = visible ? allocatePages(1, pageSize) : new Uint8Array(pageSize);
  // The decoder's inputs, one page-sized slot each, in memory of the same kind as the pages.
  const inputs = visible ? allocatePages(pages, pageSize) : new Uint8Array(pages * pageSize);
  const encoded: Uint8Array[] = [];
  const decodable: number[] = [];
  let totalBytes = 0;
  let measured = 0;
  let overflowPages = 0;
  let verified = true;
  const { old, cur, work } = views;
  for (let page = 0; page < pages; page++) {
    const size = codec.encode(old[page]!, cur[page]!, out);
    if (size < 0) {
      overflowPages++;
      encoded.push(new Uint8Array(0));
      continue;
    }
    totalBytes += size;
    measured++;
    if (size > pageSize) overflowPages++;
    if (size <= pageSize) {
      inputs.set(out.subarray(0, size), page * pageSize);
      encoded.push(inputs.subarray(page * pageSize, page * pageSize + size));
    } else {
      encoded.push(out.slice(0, size));
    }
    if (size > 0 && size <= pageSize) decodable.push(page);
    check.set(old[page]!);
    if (size > 0) codec.decode(encoded[page]!, check);
    const expected = cur[page]!;
    for (let i = 0; i < pageSize; i++) {
      if (check[i] !== expected[i]) {
        verified = false;
        break;
      }
    }
  }
  const limitOut = views.out; // QEMU's limit: one page
  const encodeTask: Task = {
    name: `encode ${codec.name} ${kind}`,
    state: { cursor: 0 },
    samples: [],
    stretch: (cursor, count) => {
      for (let k = 0; k < count; k++) {
        codec.encode(old[cursor]!, cur[cursor]!, limitOut);
        cursor = cursor + 1 === pages ? 0 : cursor + 1;
      }
      return cursor;
    },
  };
  const decodeTask: Task | null =
    decodable.length === 0
      ? null
      : {
          name: `decode ${codec.name} ${kind}`,
          state: { cursor: 0 },
          samples: [],
          stretch: (cursor, count) => {
            for (let k = 0; k < count; k++) {
              const page = decodable[cursor]!;
              codec.decode(encoded[page]!, work[page]!);
              cursor = cursor + 1 === decodable.length ? 0 : cursor + 1;
            }
            return cursor;
          },
        };
  return { codec, kind, encodedBytes: measured > 0 ? totalBytes / measured : Number.NaN, overflowPages, verified, encodeTask, decodeTask };
}
