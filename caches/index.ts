/** `pagedelta/caches`: page-cache policies, their registry and spec grammar, and the cache tooling. */
export type { CacheOptions, CacheStats, PageCache } from './cache.js';
export { BaseCache, type ResolvedCacheOptions } from './base.js';
export { AdmittingCache } from './admitting.js';
export {
  type CachePolicyInfo,
  type CreateCacheOptions,
  type SimulateOptions,
  type SimulationResult,
  type TimedSimulation,
  cacheNames,
  cachePolicies,
  collapseRepeats,
  createCache,
  registerCachePolicy,
  simulateCache,
  timeSimulation,
} from './registry.js';
export { type CreateExtras, type ParamDefinition, type PolicyDefinition, badParam, parseBound, parsePagesOrPercent, splitSpecs } from './spec.js';
export { loadAccessKeys, loadTraceKeys, parseAccessKeys } from '../harness/cache/access-keys.js';
export { type CacheSimOptions, type CacheSimRow, cacheSimTable, simulateCaches } from '../harness/cache/sim.js';
export { type CacheBenchOptions, type CacheBenchRow, benchmarkCaches } from '../harness/cache/bench.js';
export { type ConflictTraceOptions, conflictBurstKeys } from '../harness/cache/conflict-trace.js';
export { type WorkloadKeys, type WorkloadKeysOptions, workloadAccessKeys } from '../harness/cache/workload-keys.js';
export { type ZipfTraceOptions, zipfKeys } from '../harness/cache/zipf-keys.js';
