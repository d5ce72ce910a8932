/**
 * Cache-policy throughput benchmark: access-only replay (simulateCache's loop, every miss
 * inserts) of a preloaded seeded Zipf trace, one policy after another, several runs each.
 * Reports the median M requests/s of the replay loop alone, the hit ratio (deterministic), and
 * each policy's median as a ratio to `lru` measured in the same run.
 */
import { createCache, timeSimulation } from '../../caches/registry.js';
import { zipfKeys } from './zipf-keys.js';
import { median } from '../../units/statistics.js';

export interface CacheBenchOptions {
  /** Policy specs (default: every policy at its defaults, set-assoc at 2 ways). */
  policies?: string[];
  requests?: number;
  distinct?: number;
  skew?: number;
  seed?: number;
  capacity?: number;
  /** Runs per policy (median reported); default 3. */
  runs?: number;
  onProgress?: (message: string) => void;
  /** A preloaded trace instead of the Zipf one (requests/distinct/skew/seed then unused). */
  keys?: Float64Array;
  /**
   * Drive the PageCache API as the migration simulator does, with 4 KiB page contents: lookup;
   * on a miss insert(page, bytes) (a page copy into the slab); on a hit data(slot).set(bytes).
   * Default false (access-only replay).
   */
  storeData?: boolean;
}

/** The in-run reference for storeData mode: the same number of 4 KiB copies into a slab, no policy. */
export const COPY_ONLY = '(4 KiB copy only)';

function timeCopyOnly(capacity: number, keys: Float64Array): [number, number, number] {
  const pageSize = 4096;
  const slab = new Uint8Array(capacity * pageSize);
  const bytes = new Uint8Array(pageSize).fill(0x5a);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < keys.length; i++) slab.set(bytes, (keys[i]! % capacity) * pageSize);
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return [0, wall, (cpu.user + cpu.system) / 1e3];
}

/** One timed pass through the PageCache API with page copies; [hits, wall ms, CPU ms]. */
function timeWithData(policy: string, capacity: number, keys: Float64Array): [number, number, number] {
  const pageSize = 4096;
  const cache = createCache(policy, { capacityPages: capacity, pageSize, storeData: true, trace: keys });
  const bytes = new Uint8Array(pageSize).fill(0x5a);
  let hits = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < keys.length; i++) {
    const page = keys[i]!;
    const slot = cache.lookup(page);
    if (slot >= 0) {
      cache.data(slot).set(bytes);
      hits++;
    } else {
      cache.insert(page, bytes);
    }
  }
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return [hits, wall, (cpu.user + cpu.system) / 1e3];
}

export interface CacheBenchRow {
  policy: string;
  capacity: number;
  requests: number;
  hits: number;
  hitRatio: number;
  /** Median over runs, millions of requests per second of wall time. */
  mrps: number;
  minMrps: number;
  maxMrps: number;
  /** Median over runs, millions of requests per second of this process's CPU time. */
  cpuMrps: number;
  /** mrps / lru's mrps in the same run (null when lru was not run). */
  vsLru: number | null;
}

export const DEFAULT_BENCH_POLICIES = [
  'lru',
  'fifo',
  'clock',
  'sieve',
  'set-assoc:ways=1',
  'set-assoc:ways=2',
  'set-assoc:ways=8',
  '2q',
  'arc',
  's3fifo',
  'lirs',
  'opt',
];

export const DEFAULT_ZIPF = { requests: 5_000_000, distinct: 1_000_000, skew: 0.9, seed: 20110706, capacity: 10_000 };

export function benchmarkCaches(options: CacheBenchOptions = {}): CacheBenchRow[] {
  const capacity = options.capacity ?? DEFAULT_ZIPF.capacity;
  const runs = options.runs ?? 3;
  if (!(Number.isInteger(runs) && runs >= 1)) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  const keys =
    options.keys ??
    zipfKeys({
      requests: options.requests ?? DEFAULT_ZIPF.requests,
      distinct: options.distinct ?? DEFAULT_ZIPF.distinct,
      skew: options.skew ?? DEFAULT_ZIPF.skew,
      seed: options.seed ?? DEFAULT_ZIPF.seed,
    });
  const policies = [...(options.policies ?? DEFAULT_BENCH_POLICIES), ...(options.storeData ? [COPY_ONLY] : [])];
  const rows: CacheBenchRow[] = [];
  for (const policy of policies) {
    options.onProgress?.(`${policy} at c=${capacity}`);
    const rates: number[] = [];
    const cpuRates: number[] = [];
    let hits = 0;
    for (let run = 0; run < runs; run++) {
      let replayMs: number;
      let replayCpuMs: number;
      if (policy === COPY_ONLY) {
        [hits, replayMs, replayCpuMs] = timeCopyOnly(capacity, keys);
      } else if (options.storeData) {
        [hits, replayMs, replayCpuMs] = timeWithData(policy, capacity, keys);
      } else {
        const timed = timeSimulation(policy, capacity, keys);
        hits = timed.result.hits;
        replayMs = timed.replayMs;
        replayCpuMs = timed.replayCpuMs;
      }
      rates.push(replayMs > 0 ? keys.length / 1e3 / replayMs : 0);
      cpuRates.push(replayCpuMs > 0 ? keys.length / 1e3 / replayCpuMs : 0);
    }
    rows.push({
      policy,
      capacity,
      requests: keys.length,
      hits,
      hitRatio: keys.length > 0 ? hits / keys.length : 0,
      mrps: median(rates),
      minMrps: Math.min(...rates),
      maxMrps: Math.max(...rates),
      cpuMrps: median(cpuRates),
      vsLru: null,
    });
  }
  const lru = rows.find((row) => row.policy === 'lru');
  if (lru) for (const row of rows) row.vsLru = row.mrps / lru.mrps;
  return rows;
}
