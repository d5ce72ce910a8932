/**
 * Codec micro-benchmark (tinybench). For each scenario, a pool of canonical page pairs larger
 * than the per-core caches is encoded and decoded in batches (timer resolution), and a plain
 * XOR pass over the same bytes is measured in the same run as the reference: throughputs are
 * reported both in MB/s (10^6 bytes/s of input pages) and as ratios to that reference.
 */
import { Bench } from 'tinybench';
import type { Codec } from '../codecs/codec.js';
import { codecNames, getCodec } from '../codecs/registry.js';
import { xorInto } from '../codecs/words.js';
import { type Scenario, canonicalOldPages, getScenario, scenarioPages, SCENARIOS } from '../workloads/scenarios.js';

export interface CodecBenchOptions {
  /** Codec names (default: all seven). */
  codecs?: string[];
  /** Scenario names or STEP/LEN (default: the four of the seed table). */
  scenarios?: string[];
  /** Distinct page pairs in the pool (default 16384 = 64 MiB of old pages). */
  pages?: number;
  /** Measuring time per task in ms (default 250). */
  timeMs?: number;
  /** Pages per measured task invocation (default 256). */
  batchPages?: number;
  pageSize?: number;
  /** Called before each scenario starts (progress); never prints by itself. */
  onProgress?: (message: string) => void;
}

export interface CodecBenchRow {
  codec: string;
  scenario: string;
  step: number;
  len: number;
  /** Mean encoded bytes per page over the pool (pages that fit the 2 x page limit). */
  encodedBytes: number;
  /** encodedBytes as a percentage of the page size. */
  encodedPercent: number;
  /** Pages whose encoding exceeded the page size (QEMU would send them whole). */
  overflowPages: number;
  encodeMBps: number;
  encodeSustainedMBps: number;
  decodeMBps: number | null;
  decodeSustainedMBps: number | null;
  /** The in-run reference: a plain XOR pass over the same pages. */
  xorMBps: number;
  encodeVsXor: number;
  decodeVsXor: number | null;
  /** Every page of the pool decoded back to the new page exactly. */
  verified: boolean;
}


/** Bytes per second over a batch from a latency in ms, in MB/s (10^6). */
function mbps(batchBytes: number, latencyMs: number): number {
  return latencyMs > 0 ? batchBytes / 1e6 / (latencyMs / 1e3) : 0;
}

interface Throughput {
  median: number;
  sustained: number;
}

function throughputOf(bench: Bench, name: string, batchBytes: number): Throughput {
  const task = bench.getTask(name);
  const result = task?.result;
  if (!result || (result.state !== 'completed' && result.state !== 'aborted-with-statistics')) {
    const reason = result && result.state === 'errored' ? `: ${result.error.message}` : '';
    throw new Error(`benchmark task "${name}" did not complete${reason}`);
  }
  const runs = result.latency.samplesCount;
  return {
    median: mbps(batchBytes, result.latency.p50),
    sustained: result.totalTime > 0 ? (batchBytes * runs) / 1e6 / (result.totalTime / 1e3) : 0,
  };
}

/** Runs the benchmark; returns one row per (scenario, codec). */
export async function benchmarkCodecs(options: CodecBenchOptions = {}): Promise<CodecBenchRow[]> {
  const pageSize = options.pageSize ?? 4096;
  const pages = options.pages ?? 16384;
  const timeMs = options.timeMs ?? 250;
  const batchPages = Math.min(options.batchPages ?? 256, pages);
  if (!Number.isInteger(pages) || pages < 1) throw new Error(`--pages must be a positive integer, got ${pages}`);
  if (!(timeMs > 0)) throw new Error(`--time must be a positive number of ms, got ${timeMs}`);
  const codecs: Codec[] = (options.codecs ?? codecNames()).map((name) => getCodec(name));
  const scenarios: Scenario[] = options.scenarios ? options.scenarios.map(getScenario) : [...SCENARIOS];
  const batchBytes = batchPages * pageSize;

  const oldPages = canonicalOldPages(pages, pageSize);
  const oldViews = pageViews(oldPages, pageSize);
  const rows: CodecBenchRow[] = [];
  const limit = 2 * pageSize;

  for (const scenario of scenarios) {
    options.onProgress?.(`scenario ${scenario.name} (step ${scenario.step}, len ${scenario.len})`);
    const newPages = scenarioPages(oldPages, scenario, pageSize);
    const newViews = pageViews(newPages, pageSize);
    const xorOut = new Uint8Array(pageSize);
    const bench = new Bench({ time: timeMs, warmupTime: Math.min(100, timeMs), throws: true });
    let cursor = 0;
    bench.add('xor', () => {
      for (let k = 0; k < batchPages; k++) {
        xorInto(oldViews[cursor]!, newViews[cursor]!, xorOut);
        cursor = cursor + 1 === pages ? 0 : cursor + 1;
      }
    });

    const prepared = codecs.map((codec) => prepareCodec(codec, oldViews, newViews, pageSize, limit));
    for (const entry of prepared) {
      const { codec } = entry;
      const out = new Uint8Array(pageSize); // QEMU's limit: one page
      let encodeCursor = 0;
      bench.add(`encode ${codec.name}`, () => {
        for (let k = 0; k < batchPages; k++) {
          codec.encode(oldViews[encodeCursor]!, newViews[encodeCursor]!, out);
          encodeCursor = encodeCursor + 1 === pages ? 0 : encodeCursor + 1;
        }
      });
      if (entry.decodable.length > 0) {
        // Decoding in place onto a working copy: XBZRLE is idempotent, XOR codecs toggle
        // between old and new; the work per page is the same either way.
        const work = oldPages.slice();
        const workViews = pageViews(work, pageSize);
        const decodable = entry.decodable;
        let decodeCursor = 0;
        bench.add(`decode ${codec.name}`, () => {
          for (let k = 0; k < batchPages; k++) {
            const page = decodable[decodeCursor]!;
            codec.decode(entry.encoded[page]!, workViews[page]!);
            decodeCursor = decodeCursor + 1 === decodable.length ? 0 : decodeCursor + 1;
          }
        });
      }
    }
    await bench.run();
    const xor = throughputOf(bench, 'xor', batchBytes);
    for (const entry of prepared) {
      const encode = throughputOf(bench, `encode ${entry.codec.name}`, batchBytes);
      const decode = entry.decodable.length > 0 ? throughputOf(bench, `decode ${entry.codec.name}`, batchBytes) : null;
      rows.push({
        codec: entry.codec.name,
        scenario: scenario.name,
        step: scenario.step,
        len: scenario.len,
        encodedBytes: entry.encodedBytes,
        encodedPercent: (100 * entry.encodedBytes) / pageSize,
        overflowPages: entry.overflowPages,
        encodeMBps: encode.median,
        encodeSustainedMBps: encode.sustained,
        decodeMBps: decode ? decode.median : null,
        decodeSustainedMBps: decode ? decode.sustained : null,
        xorMBps: xor.median,
        encodeVsXor: encode.median / xor.median,
        decodeVsXor: decode ? decode.median / xor.median : null,
        verified: entry.verified,
      });
    }
  }
  return rows;
}

function pageViews(pages: Uint8Array, pageSize: number): Uint8Array[] {
  const views: Uint8Array[] = [];
  for (let offset = 0; offset < pages.length; offset += pageSize) views.push(pages.subarray(offset, offset + pageSize));
  return views;
}

interface PreparedCodec {
  codec: Codec;
  /** Encoding of each page (empty where it overflowed the page size). */
  encoded: Uint8Array[];
  /** Indices of pages with an encoding that fits a page. */
  decodable: number[];
  encodedBytes: number;
  overflowPages: number;
  verified: boolean;
}

/** Encodes every page once (sizes, decode inputs) and checks each decodes back exactly. */
function prepareCodec(codec: Codec, oldViews: Uint8Array[], newViews: Uint8Array[], pageSize: number, limit: number): PreparedCodec {
  const out = new Uint8Array(limit);
  const check = new Uint8Array(pageSize);
  const encoded: Uint8Array[] = [];
  const decodable: number[] = [];
  let totalBytes = 0;
  let measured = 0;
  let overflowPages = 0;
  let verified = true;
  for (let page = 0; page < oldViews.length; page++) {
    const size = codec.encode(oldViews[page]!, newViews[page]!, out);
    if (size < 0) {
      overflowPages++;
      encoded.push(new Uint8Array(0));
      continue;
    }
    totalBytes += size;
    measured++;
    if (size > pageSize) overflowPages++;
    encoded.push(out.slice(0, size));
    if (size > 0 && size <= pageSize) decodable.push(page);
    check.set(oldViews[page]!);
    if (size > 0) codec.decode(encoded[page]!, check);
    for (let i = 0; i < pageSize; i++) {
      if (check[i] !== newViews[page]![i]) {
        verified = false;
        break;
      }
    }
  }
  return { codec, encoded, decodable, encodedBytes: measured > 0 ? totalBytes / measured : Number.NaN, overflowPages, verified };
}
