/**
 * pagedelta's public API. Each folder is one concept (codecs, caches, workloads, harness,
 * results, reference, reproductions); this file re-exports what users and scripts call.
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
export { loadAccessKeys, loadTraceKeys, parseAccessKeys } from './harness/cache/access-keys.js';
export { type CacheSimOptions, type CacheSimRow, cacheSimTable, simulateCaches } from './harness/cache/sim.js';
export { type CacheBenchOptions, type CacheBenchRow, benchmarkCaches } from './harness/cache/bench.js';
export { type ConflictTraceOptions, conflictBurstKeys } from './harness/cache/conflict-trace.js';
export { type WorkloadKeys, type WorkloadKeysOptions, workloadAccessKeys } from './harness/cache/workload-keys.js';
export { type ZipfTraceOptions, zipfKeys } from './harness/cache/zipf-keys.js';
export { type SeedCachesOptions, reproduceSeedCaches } from './reproductions/seed-caches.js';

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
export { reproduceQemuAgeRule } from './reproductions/qemu-age-rule.js';

// --- workloads (issue #4): synthetic generators, trace format, replay, recorder ---
export {
  createWorkload,
  DEFAULT_WORKLOAD_SEED,
  getWorkloadDefinition,
  workloadCatalogue,
  workloadNames,
} from './workloads/registry.js';
export { WorkloadSpecError } from './workloads/params.js';
export type { CreateContext, WorkloadDefinition } from './workloads/definition.js';
export { CONTENT_KINDS, type ContentKind } from './workloads/content.js';
export { Xoshiro128 } from './workloads/prng.js';
export { ZipfSampler } from './workloads/zipf-sampler.js';
export { readAccessKeys, readTrace, type ReadTraceOptions, type TraceEpoch, type TraceHandle } from './workloads/trace/stream.js';
export { TraceWriter, type TraceSummary, type TraceWriterOptions, writeTrace } from './workloads/trace/writer.js';
export { TIME_UNITS, type TimeUnit, TraceError, type TraceHeader, type TraceKind, type TraceRegion } from './workloads/trace/format.js';
export { type TraceInfo, traceInfo, traceInfoTables } from './workloads/trace/info.js';
export { type SynthesizeOptions, synthesizeTrace } from './workloads/trace/synthesize.js';
export { RecorderError, type RecordOptions, type RecordResult, recordProcess } from './workloads/trace/recorder.js';
export { benchmarkTraceIO, benchmarkWorkloads } from './workloads/bench.js';

// Harness (issue #6): experiment files and matrix runs, result rows, tables, plots, reports,
// the CI performance gate, and the reproductions built on them.
export {
  type Cell,
  type CellKind,
  type CellParams,
  type Experiment,
  type ExperimentSettings,
  ExperimentError,
  expandCells,
  loadExperiment,
  parseExperiment,
  parseShard,
  shardCells,
} from './harness/experiment/experiment.js';
export { type RunOptions, type RunProgress, type RunSummary, runExperiment } from './harness/experiment/runner.js';
export { formatBandwidth, formatDuration } from './units/quantities.js';
export { median } from './units/statistics.js';
export {
  type GateMeasurement,
  type GateReport,
  type GateTolerances,
  compareGate,
  formatBaseline,
  readBaseline,
  runGate,
  runGateSuite,
} from './harness/gate/gate.js';
export { type ReadResults, type ResultRow, mergeResults, parseResults, readResults, ResultsAppender } from './results/rows.js';
export { type Aggregate, type TableOptions, METRICS, metricNames, metricTable } from './results/views.js';
export { type Figure, type PlotKind, PLOT_KINDS, buildFigure, renderSvg, svgToPng, writeFigures } from './results/plots.js';
export { type Report, buildReport } from './results/report.js';
export { reproduceConvergenceMap } from './reproductions/convergence-map.js';
export { reproduceCacheSizing } from './reproductions/cache-sizing.js';
