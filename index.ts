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

// Caches (issue #3): policies, createCache/simulateCache, access-trace loading.
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
  simulateCache,
  timeSimulation,
} from './caches/registry.js';
export { splitSpecs } from './caches/spec.js';
export { loadAccessKeys, loadTraceKeys, parseAccessKeys } from './harness/access-keys.js';
export { type CacheSimOptions, type CacheSimRow, cacheSimTable, simulateCaches } from './harness/cache-sim.js';
export { type CacheBenchOptions, type CacheBenchRow, benchmarkCaches } from './harness/cache-bench.js';
export { type ConflictTraceOptions, conflictBurstKeys } from './harness/conflict-trace.js';
export { type WorkloadKeys, type WorkloadKeysOptions, workloadAccessKeys } from './harness/workload-keys.js';
export { type ZipfTraceOptions, zipfKeys } from './harness/zipf-keys.js';
export { type SeedCachesOptions, reproduceSeedCaches } from './scripts/seed-caches.js';

// Migration simulator (issue #5): simulated pre-copy live migration, verified at the destination.
export {
  CPU_MODEL_TABLE,
  CPU_MODES,
  type CodecThroughput,
  type CpuMode,
  formatBytes,
  MIGRATION_DEFAULTS,
  MIGRATION_MODES,
  type MigrationMode,
  type MigrationOptions,
  type MigrationResult,
  MigrationVerificationError,
  parseDuration,
  parseRate,
  parseSize,
  type RoundEntry,
  simulateMigration,
  type VerifyMode,
  type WireCount,
} from './harness/migration.js';
export { migrationTables } from './harness/migration/report.js';
export { reproduceQemuAgeRule } from './scripts/qemu-age-rule.js';
