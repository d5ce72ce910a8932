/**
 * The cache-simulation harness behind `pagedelta caches sim`: every (policy, capacity) pair
 * replayed over one access trace (simulateCache: every miss inserts), with the hit ratio and
 * the replay rate. Async only to yield between rows, so that an interrupted run keeps (and
 * can print) the rows it finished.
 */
import { createCache, timeSimulation } from '../../caches/registry.js';
import type { Table } from '../../results/table.js';

export interface CacheSimOptions {
  keys: Float64Array;
  /** Where the keys came from (a file name or workload spec), for the rows. */
  traceName: string;
  policies: string[];
  capacities: number[];
  collapseRepeats?: boolean;
  requestsPerGeneration?: number;
  /** Request indices that start a new generation (a workload's sync rounds). */
  generationStarts?: ArrayLike<number>;
  onProgress?: (message: string) => void;
  /** Checked between rows: true stops the run early (rows so far are returned). */
  shouldStop?: () => boolean;
}

export interface CacheSimRow {
  trace: string;
  policy: string;
  capacity: number;
  requests: number;
  hits: number;
  misses: number;
  hitRatio: number;
  /** Inserts the policy refused (qemu's age rule, opt:bypass=yes). */
  refused: number;
  /** Millions of requests per second of the replay loop (one run; noisy). */
  mrps: number;
}

/** Checks every spec at every capacity before anything runs, so bad input fails fast. */
export function validateSimulation(policies: string[], capacities: number[]): void {
  if (policies.length === 0) throw new Error('name at least one cache policy');
  if (capacities.length === 0) throw new Error('name at least one capacity');
  for (const capacity of capacities) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new Error(`capacity must be a positive integer number of pages, got ${capacity}`);
    for (const policy of policies) createCache(policy, { capacityPages: capacity, storeData: false, trace: [] });
  }
}

export async function simulateCaches(options: CacheSimOptions): Promise<CacheSimRow[]> {
  validateSimulation(options.policies, options.capacities);
  const rows: CacheSimRow[] = [];
  for (const capacity of options.capacities) {
    for (const policy of options.policies) {
      if (options.shouldStop?.()) return rows;
      options.onProgress?.(`${policy} at ${capacity} pages`);
      const { result, replayMs } = timeSimulation(policy, capacity, options.keys, {
        ...(options.collapseRepeats ? { collapseRepeats: true } : {}),
        ...(options.requestsPerGeneration ? { requestsPerGeneration: options.requestsPerGeneration } : {}),
        ...(options.generationStarts ? { generationStarts: options.generationStarts } : {}),
      });
      rows.push({
        trace: options.traceName,
        policy,
        capacity,
        requests: result.requests,
        hits: result.hits,
        misses: result.misses,
        hitRatio: result.requests > 0 ? result.hits / result.requests : 0,
        refused: result.refused,
        mrps: replayMs > 0 ? result.requests / 1e3 / replayMs : 0,
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return rows;
}

export function cacheSimTable(rows: CacheSimRow[], notes: string[] = []): Table {
  return {
    title: 'Cache simulation',
    columns: [
      { key: 'trace' },
      { key: 'policy' },
      { key: 'capacity', title: 'capacity (pages)' },
      { key: 'requests' },
      { key: 'hits' },
      { key: 'misses' },
      { key: 'hitRatio', title: 'hit ratio', digits: 4 },
      { key: 'refused' },
      { key: 'mrps', title: 'M requests/s', digits: 2 },
    ],
    rows: rows.map((row) => ({ ...row })),
    notes,
  };
}
