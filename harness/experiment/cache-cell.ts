/**
 * Cache cells: a replay through one policy and size (caches/registry.ts) of an access trace or
 * of the pages a workload writes.
 */
import { timeSimulation } from '../../caches/registry.js';
import { GuestMemory, type DirtyTracker } from '../../workloads/memory.js';
import { createWorkload } from '../../workloads/registry.js';
import { loadAccessKeys } from '../cache/access-keys.js';
import { type CacheCellParams, type ExperimentSettings, resolveTracePath } from './experiment.js';

/** Collects written page numbers in order, up to a limit (no allocation per write). */
class AccessRecorder implements DirtyTracker {
  readonly keys: Float64Array;
  count = 0;
  constructor(limit: number) {
    this.keys = new Float64Array(limit);
  }
  markDirty(pageNumber: number): void {
    if (this.count < this.keys.length) this.keys[this.count++] = pageNumber;
  }
  get full(): boolean {
    return this.count >= this.keys.length;
  }
}

/** Simulated time per generation (dirty sync) when a workload drives a cache cell. */
export const CACHE_CELL_SYNC_MS = 100;

/**
 * The access stream of a workload: every page it writes, in order, during `durationMs` of
 * simulated time (or until `maxAccesses`); a generation boundary every 100 ms.
 */
export function workloadAccesses(
  spec: string,
  pageCount: number,
  pageSize: number,
  seed: number,
  durationMs: number,
  maxAccesses: number,
): { keys: Float64Array; generations: number[] } {
  const workload = createWorkload(spec, { pageCount, pageSize, seed });
  const memory = new GuestMemory(pageCount, pageSize);
  workload.init(memory);
  const recorder = new AccessRecorder(maxAccesses);
  const generations: number[] = [];
  for (let untilMs = CACHE_CELL_SYNC_MS; untilMs <= durationMs && !recorder.full; untilMs += CACHE_CELL_SYNC_MS) {
    workload.advance(memory, untilMs, recorder);
    generations.push(recorder.count);
  }
  return { keys: recorder.keys.subarray(0, recorder.count), generations };
}

/** Replays a trace (or a workload's writes) through one cache policy and size. */
export async function runCacheCell(params: CacheCellParams, settings: ExperimentSettings): Promise<Record<string, unknown>> {
  const capacityPages = Math.floor(params.cacheBytes / settings.pageSize);
  let keys: Float64Array;
  let requestsPerGeneration = 0;
  if (params.source.startsWith('trace:')) {
    const all = loadAccessKeys(resolveTracePath(params.source, settings.baseDir).slice('trace:'.length));
    keys = all.length > settings.maxAccesses ? all.subarray(0, settings.maxAccesses) : all;
  } else {
    const accesses = workloadAccesses(
      resolveTracePath(params.source, settings.baseDir),
      Math.floor((params.ramBytes ?? 0) / settings.pageSize),
      settings.pageSize,
      params.seed ?? 1,
      settings.cacheDurationMs,
      settings.maxAccesses,
    );
    keys = accesses.keys;
    // simulateCache advances generations every N requests: the mean over the 100 ms syncs.
    requestsPerGeneration = accesses.generations.length > 0 ? Math.max(1, Math.round(keys.length / accesses.generations.length)) : 0;
  }
  if (keys.length === 0) throw new Error(`${params.source} produced no accesses`);
  const timed = timeSimulation(params.cache, capacityPages, keys, requestsPerGeneration > 0 ? { requestsPerGeneration } : {});
  const { requests, hits, misses, refused } = timed.result;
  return {
    capacityPages,
    requests,
    hits,
    misses,
    refused,
    hitRatio: requests > 0 ? hits / requests : null,
    missRate: requests > 0 ? misses / requests : null,
    requestsPerGeneration: requestsPerGeneration || null,
    mopsPerSecond: timed.replayMs > 0 ? requests / timed.replayMs / 1000 : null,
  };
}
