/** `pagedelta/workloads`: generators, their registry and parameters, guest memory, scenarios, traces. */
export { createWorkload, DEFAULT_WORKLOAD_SEED, getWorkloadDefinition, registerWorkload, workloadCatalogue, workloadNames } from './registry.js';
export { MAX_WRITE_RATE, ParamReader, WorkloadSpecError } from './params.js';
export { COMMON_PARAMS, type CreateContext, readCommon, validKeys, type WorkloadDefinition } from './definition.js';
export { Generator, type GeneratorSetup } from './generator.js';
export type { Workload, WorkloadOptions } from './workload.js';
export { DirtyBitmap, type DirtyTracker, GuestMemory } from './memory.js';
export { CONTENT_KINDS, type ContentKind } from './content.js';
export { SplitMix64 } from './splitmix64.js';
export { Xoshiro128 } from './prng.js';
export { ZipfSampler } from './zipf-sampler.js';
export { SCENARIOS, type Scenario, applyScenario, canonicalOldPages, canonicalPagePairs, getScenario, scenarioPages } from './scenarios.js';
export { readAccessKeys, readTrace, type ReadTraceOptions, type TraceEpoch, type TraceHandle } from './trace/stream.js';
export { TraceWriter, type TraceSummary, type TraceWriterOptions, writeTrace } from './trace/writer.js';
export { TIME_UNITS, type TimeUnit, TraceError, type TraceHeader, type TraceKind, type TraceRegion } from './trace/format.js';
export { type TraceInfo, traceInfo, traceInfoTables } from './trace/info.js';
export { type SynthesizeOptions, synthesizeTrace } from './trace/synthesize.js';
export { RecorderError, type RecordOptions, type RecordResult, recordProcess } from './trace/recorder.js';
export { benchmarkTraceIO, benchmarkWorkloads } from './bench.js';
