/**
 * What a page costs to encode and decode under `--cpu model`, for the built-in codecs (the
 * figures and their origin are in docs/migration.md), and the measured fallback for a codec
 * that declares none. Throughputs are MB/s = 10^6 bytes of input page per second, one per
 * pattern class in SCENARIOS order (SPARSE, MEDIUM, DENSE, VERY-DENSE).
 */
import { QEMU_C_XBZRLE_GBPS, SEED_CODEC_TABLE } from '../reference/published.js';
import { median } from '../units/statistics.js';
import { canonicalPagePairs, SCENARIOS } from '../workloads/scenarios.js';
import type { Codec } from './codec.js';

export interface CodecThroughput {
  /** MB/s per pattern class, in SCENARIOS order (SPARSE, MEDIUM, DENSE, VERY-DENSE). */
  encodeMBps: readonly number[];
  decodeMBps: readonly number[];
}

/** QEMU's own C encoder/decoder on this machine class. */
export const XBZRLE_THROUGHPUT: CodecThroughput = {
  encodeMBps: SCENARIOS.map((scenario) => QEMU_C_XBZRLE_GBPS[scenario.name]!.encode * 1000),
  decodeMBps: SCENARIOS.map((scenario) => QEMU_C_XBZRLE_GBPS[scenario.name]!.decode * 1000),
};

/** xbzrle's figure scaled by the 2011 table's ratio of column `published` to xbzrle in each scenario. */
export function scaledFrom2011(published: string): CodecThroughput {
  const scale = (ours: readonly number[], pick: (row: { encodeMBps: number; decodeMBps: number }) => number): number[] =>
    SCENARIOS.map((scenario, index) => (ours[index]! * pick(SEED_CODEC_TABLE[scenario.name]![published]!)) / pick(SEED_CODEC_TABLE[scenario.name]!.xbzrle!));
  return {
    encodeMBps: scale(XBZRLE_THROUGHPUT.encodeMBps, (row) => row.encodeMBps),
    decodeMBps: scale(XBZRLE_THROUGHPUT.decodeMBps, (row) => row.decodeMBps),
  };
}

/** The same throughput for every class (whole-page codecs). */
export function flatThroughput(encodeMBps: number, decodeMBps: number): CodecThroughput {
  return { encodeMBps: SCENARIOS.map(() => encodeMBps), decodeMBps: SCENARIOS.map(() => decodeMBps) };
}

const MEASURE_ROUNDS = 7;
const PAGES_PER_ROUND = 64;

/**
 * The codec's own throughput on the canonical page pairs in this process: per class, the median
 * of 7 timed rounds of 64 encodes and 64 decodes. Whole-page codecs get one figure (the median
 * over the classes) for every class, as their cost does not follow the delta's pattern.
 * Unlike the declared figures this differs from machine to machine: declare `cpuModel` in the
 * codec's definition for reproducible runs.
 */
export function measureThroughput(make: () => Codec, pageSize: number): CodecThroughput {
  const codec = make();
  const out = new Uint8Array(pageSize * 2 + 64);
  const page = new Uint8Array(pageSize);
  const encodeMBps: number[] = [];
  const decodeMBps: number[] = [];
  for (const scenario of SCENARIOS) {
    const { oldPages, newPages } = canonicalPagePairs(scenario, 1, pageSize);
    const old = codec.kind === 'delta' ? oldPages : null;
    const encodeMs: number[] = [];
    const decodeMs: number[] = [];
    let size = 0;
    for (let round = 0; round < MEASURE_ROUNDS; round++) {
      let started = performance.now();
      for (let i = 0; i < PAGES_PER_ROUND; i++) size = codec.encode(old, newPages, out);
      encodeMs.push(performance.now() - started);
      if (size > 0) {
        const encoded = out.subarray(0, size);
        started = performance.now();
        for (let i = 0; i < PAGES_PER_ROUND; i++) {
          page.set(oldPages);
          codec.decode(encoded, page);
        }
        decodeMs.push(performance.now() - started);
      }
    }
    const toMBps = (ms: number): number => (PAGES_PER_ROUND * pageSize) / 1e6 / (Math.max(ms, 1e-3) / 1000);
    encodeMBps.push(toMBps(median(encodeMs)));
    decodeMBps.push(decodeMs.length > 0 ? toMBps(median(decodeMs)) : encodeMBps[encodeMBps.length - 1]!);
  }
  if (codec.kind === 'whole') return flatThroughput(median(encodeMBps), median(decodeMBps));
  return { encodeMBps, decodeMBps };
}
