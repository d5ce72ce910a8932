/**
 * pagedelta's public API. Each folder is one concept (codecs, caches, workloads, harness,
 * results, scripts); this file re-exports what users and scripts call.
 */
export { type Codec, CodecError } from './codecs/codec.js';
export { codecNames, getCodec } from './codecs/registry.js';
export { isZeroPage, pagesEqual } from './codecs/words.js';

export type { CacheOptions, CacheStats, PageCache } from './caches/cache.js';

export { DirtyBitmap, type DirtyTracker, GuestMemory } from './workloads/memory.js';
export type { Workload, WorkloadOptions } from './workloads/workload.js';
export { SplitMix64 } from './workloads/splitmix64.js';
export {
  SCENARIOS,
  type Scenario,
  applyScenario,
  canonicalOldPages,
  canonicalPagePairs,
  getScenario,
  scenarioPages,
} from './workloads/scenarios.js';

export { type Column, type Row, type Table, type TableFormat, renderTable } from './results/table.js';
