/**
 * pagedelta's main export: the few entry points most users need, one or two per concept.
 * Everything else is in the subpath exports: `pagedelta/codecs`, `pagedelta/caches`,
 * `pagedelta/workloads`, `pagedelta/migration`, `pagedelta/experiment`, `pagedelta/results`.
 */
export { type Codec, CodecError } from './codecs/codec.js';
export { type CodecDefinition, codecNames, getCodec, registerCodec } from './codecs/registry.js';
export { allocatePages } from './codecs/page-memory.js';

export type { CacheOptions, CacheStats, PageCache } from './caches/cache.js';
export { cacheNames, createCache, registerCachePolicy, simulateCache } from './caches/registry.js';
export type { PolicyDefinition } from './caches/spec.js';

export type { Workload, WorkloadOptions } from './workloads/workload.js';
export type { WorkloadDefinition } from './workloads/definition.js';
export { createWorkload, registerWorkload, workloadNames } from './workloads/registry.js';

export {
  MIGRATION_DEFAULTS,
  type MigrationOptions,
  type MigrationResult,
  MigrationVerificationError,
  type RoundEntry,
  simulateMigration,
} from './harness/migration/index.js';

export { type Experiment, ExperimentError, loadExperiment, parseExperiment, type RunSummary, runExperiment } from './harness/experiment/index.js';

export { type ResultRow, readResults, renderTable, type Table } from './results/index.js';

export { formatBandwidth, formatBytes, formatDuration, parseDuration, parseRate, parseSize } from './units/quantities.js';
