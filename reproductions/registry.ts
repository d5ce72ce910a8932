/** Reproduction scripts by name: each regenerates one published table (`pagedelta reproduce NAME`). */
import type { Table } from '../results/table.js';
import { reproduceQemuAgeRule } from './qemu-age-rule.js';
import { reproduceSeedCaches } from './seed-caches.js';
import { reproduceSeedCodecs } from './seed-codecs.js';
// harness (issue #6)
import { reproduceCacheSizing } from './cache-sizing.js';
import { reproduceConvergenceMap } from './convergence-map.js';

export interface ReproduceOptions {
  /** Shorter measurements (CI smoke runs); deterministic figures are unaffected. */
  quick?: boolean;
  onProgress?: (message: string) => void;
}

export interface Reproduction {
  description: string;
  run(options: ReproduceOptions): Promise<Table[]>;
}

const SCRIPTS: Readonly<Record<string, Reproduction>> = {
  'seed-codecs': {
    description: 'the 2011 codec table (XBRLE, XBZRLE, XOR+LZO/Snappy) beside ours, with verdicts',
    run: async (options) =>
      (
        await reproduceSeedCodecs({
          pages: options.quick ? 1024 : 16384,
          timeMs: options.quick ? 40 : 250,
          ...(options.onProgress ? { onProgress: (message: string) => options.onProgress!(`seed-codecs: ${message}`) } : {}),
        })
      ).tables,
  },
  'seed-caches': {
    description: 'the 2011 cache table (1/2/4/8-way vs full LRU) beside ours on a conflict-burst trace, other policies, CloudPhysics miss-ratio curve',
    run: (options) =>
      reproduceSeedCaches({
        ...(options.quick ? { requests: 400_000, runs: 1, mrcCapacities: [512, 4096, 32768] } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }),
  },
  'qemu-age-rule': {
    description: "QEMU's XBZRLE cache-age experiment: miss rate and total time with and without the age rule",
    run: async (options) =>
      reproduceQemuAgeRule({
        ...(options.quick ? { ramBytes: 128 * 2 ** 20, loopRates: [10], maxTimeMs: 60_000 } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }).tables,
  },
  // harness (issue #6)
  'convergence-map': {
    description: 'which (bandwidth, dirty rate) pairs converge with no compression, XBZRLE, XOR+LZ4 on a hot-set guest, and the downtime',
    run: (options) => reproduceConvergenceMap({ quick: options.quick ?? false, ...(options.onProgress ? { onProgress: options.onProgress } : {}) }),
  },
  'cache-sizing': {
    description: 'downtime and miss rate vs cache size for each policy, on a Zipf workload and on the recorded CloudPhysics trace',
    run: (options) => reproduceCacheSizing({ quick: options.quick ?? false, ...(options.onProgress ? { onProgress: options.onProgress } : {}) }),
  },
};

export function reproductionNames(): string[] {
  return Object.keys(SCRIPTS);
}

export function getReproduction(name: string): Reproduction {
  const script = Object.hasOwn(SCRIPTS, name) ? SCRIPTS[name] : undefined;
  if (!script) throw new Error(`unknown reproduction "${name}"; valid: ${reproductionNames().join(', ')}`);
  return script;
}
