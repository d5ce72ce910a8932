/**
 * What encoding and decoding a page costs in simulated time.
 *
 * `model`: a fixed throughput per codec and pattern class, so runs are exactly reproducible.
 * The pattern class of a page is the canonical step/len scenario (SPARSE, MEDIUM, DENSE,
 * VERY-DENSE) whose encoded size, with this codec, is nearest to this page's encoded size on
 * a log scale; identical pages count as SPARSE (one compare pass) and overflows as
 * VERY-DENSE (the encoder ran up to its limit). Throughputs (MB/s = 10^6 bytes of input page
 * per second; table in docs/migration.md):
 * The figures are part of each codec's definition (`cpuModel` in codecs/registry.ts); a codec
 * without them is measured once in this process on the canonical pairs (codecThroughput).
 * - xbzrle: QEMU's own C encoder/decoder on this machine class (seed-tables.md,
 *   QEMU_C_XBZRLE_GBPS): 4000 / 3700 / 2700 / 2100 MB/s encode, 15000 / 9500 / 3500 / 3700 decode.
 * - xor-lz4, xor-snappy, xbrle: xbzrle's figure scaled by the 2011 table's ratio of that codec
 *   to xbzrle in the same scenario (xblzo stands for xor-lz4), so the relative speeds the
 *   origin thread measured on one machine carry over.
 * - lz4, snappy (whole pages, any class): the lz4 project's published lzbench figures for
 *   LZ4 1.9 default (780 MB/s compress, 4970 MB/s decompress) and Snappy 1.1.4 (565 / 1950).
 * - raw: a page copy, 10000 MB/s both ways (nominal memcpy).
 * Zero-page checks, cache inserts and normal pages cost no CPU time in the model: they run at
 * memory speed (> 10 GB/s), two orders of magnitude above a 1 Gbit/s link.
 *
 * `measured`: the wall time the real codec call took in this process (performance.now()).
 */
import type { Codec } from '../../codecs/codec.js';
import { codecNames, codecThroughput, getCodec, getCodecDefinition } from '../../codecs/registry.js';
import type { CodecThroughput } from '../../codecs/throughput.js';
import { canonicalPagePairs, SCENARIOS } from '../../workloads/scenarios.js';

export type { CodecThroughput } from '../../codecs/throughput.js';
export type CpuMode = 'model' | 'measured';
export const CPU_MODES: readonly CpuMode[] = ['model', 'measured'];

/** The declared model throughputs of the built-in codecs, by name (each codec's `cpuModel`). */
export const CPU_MODEL_TABLE: Readonly<Record<string, CodecThroughput>> = Object.fromEntries(
  codecNames().flatMap((name) => {
    const declared = getCodecDefinition(name).cpuModel;
    return declared ? [[name, declared]] : [];
  }),
);

/** Charges simulated milliseconds for codec work. */
export class CpuModel {
  readonly mode: CpuMode;
  private readonly encodeMsPerPage: Float64Array;
  private readonly decodeMsPerPage: Float64Array;
  /** log(encoded bytes) boundaries between the classes, for this codec and page size. */
  private readonly boundaries: Float64Array;
  private readonly pageSize: number;

  constructor(mode: CpuMode, codec: Codec, pageSize: number) {
    this.mode = mode;
    this.pageSize = pageSize;
    // A codec without declared figures is measured once (codecThroughput), never refused.
    const throughput: CodecThroughput =
      mode === 'model' ? codecThroughput(codec.name, pageSize).throughput : { encodeMBps: SCENARIOS.map(() => 1), decodeMBps: SCENARIOS.map(() => 1) };
    this.encodeMsPerPage = Float64Array.from(throughput.encodeMBps, (mbps) => pageSize / (mbps * 1000));
    this.decodeMsPerPage = Float64Array.from(throughput.decodeMBps, (mbps) => pageSize / (mbps * 1000));
    this.boundaries = new Float64Array(SCENARIOS.length - 1);
    if (codec.kind === 'delta' && mode === 'model') {
      // Class boundaries: geometric midpoints of this codec's sizes on the canonical pairs.
      const sizes = SCENARIOS.map((scenario) => {
        const { oldPages, newPages } = canonicalPagePairs(scenario, 1, pageSize);
        const probe = getCodec(codec.name);
        const out = new Uint8Array(pageSize * 2 + 64);
        return Math.max(1, probe.encode(oldPages, newPages, out));
      });
      for (let index = 0; index < this.boundaries.length; index++) {
        this.boundaries[index] = (Math.log(sizes[index]!) + Math.log(sizes[index + 1]!)) / 2;
      }
    }
  }

  /** Pattern class (0..3) of a page whose encoding took `encodedBytes` (0 identical, -1 overflow). */
  classOf(encodedBytes: number): number {
    if (encodedBytes === 0) return 0;
    if (encodedBytes < 0) return this.boundaries.length;
    const size = Math.log(encodedBytes);
    let index = 0;
    while (index < this.boundaries.length && size > this.boundaries[index]!) index++;
    return index;
  }

  /** Simulated ms to encode one page that gave `encodedBytes`; `measuredMs` is used in measured mode. */
  encodeMs(encodedBytes: number, measuredMs: number): number {
    return this.mode === 'measured' ? measuredMs : this.encodeMsPerPage[this.classOf(encodedBytes)]!;
  }

  decodeMs(encodedBytes: number, measuredMs: number): number {
    return this.mode === 'measured' ? measuredMs : this.decodeMsPerPage[this.classOf(encodedBytes)]!;
  }

  /** Monotonic clock for measured mode. */
  static now(): number {
    return performance.now();
  }
}
