/**
 * Access traces from workloads (the Workload contract of workloads/workload.ts), as the
 * migration sender sees them: every `intervalMs` the dirty bitmap is synced and each page
 * dirtied since the previous sync is looked up once, in page order. Each sync is a generation
 * boundary (QEMU's age rule), returned so that simulateCache can replay the rounds faithfully.
 */
import { DirtyBitmap, GuestMemory } from '../../workloads/memory.js';
import type { Workload } from '../../workloads/workload.js';

export interface WorkloadKeysOptions {
  pageCount: number;
  pageSize?: number;
  /** Simulated time to run the workload, ms. */
  durationMs: number;
  /** Time between dirty-bitmap syncs, ms. */
  intervalMs: number;
  /** Stop once this many requests are collected (default unlimited). */
  maxRequests?: number;
}

export interface WorkloadKeys {
  keys: Float64Array;
  /** Request index at which each sync round starts (ascending; the first is 0). */
  roundStarts: number[];
}

export function workloadAccessKeys(workload: Workload, options: WorkloadKeysOptions): WorkloadKeys {
  const { pageCount, durationMs, intervalMs } = options;
  if (!(durationMs > 0)) throw new RangeError(`duration must be a positive number of ms, got ${durationMs}`);
  if (!(intervalMs > 0)) throw new RangeError(`sync interval must be a positive number of ms, got ${intervalMs}`);
  const limit = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const memory = new GuestMemory(pageCount, options.pageSize ?? 4096);
  workload.init(memory);
  const dirty = new DirtyBitmap(pageCount);
  let keys = new Float64Array(1024);
  let count = 0;
  const roundStarts: number[] = [];
  for (let now = intervalMs; now <= durationMs + 1e-9 && count < limit; now += intervalMs) {
    workload.advance(memory, now, dirty);
    if (dirty.count === 0) continue;
    roundStarts.push(count);
    const bits = dirty.bits;
    for (let page = 0; page < pageCount && count < limit; page++) {
      if (bits[page] === 0) continue;
      if (count === keys.length) {
        const grown = new Float64Array(keys.length * 2);
        grown.set(keys);
        keys = grown;
      }
      keys[count++] = page;
    }
    dirty.clearAll();
  }
  return { keys: keys.slice(0, count), roundStarts };
}
