/**
 * Workloads by name. `createWorkload(spec, { pageCount, pageSize, seed })` builds one from a
 * spec string (`zipf:skew=0.9,rate=20000`, `trace:FILE,scale=2`, `idle:content=zero`, or
 * several joined by `+`). Adding a workload: one file exporting a WorkloadDefinition, one
 * line here.
 */
import { addDefinition } from '../registry/definition.js';
import { CompositeWorkload } from './composite.js';
import type { WorkloadDefinition } from './definition.js';
import { hotset } from './hotset.js';
import { idle } from './idle.js';
import { ParamReader, parseSpec, splitComposition, WorkloadSpecError } from './params.js';
import { deriveSeed } from './prng.js';
import { qemuAgeTest } from './qemu-age-test.js';
import { scan } from './scan.js';
import { scenarioWorkload } from './scenario.js';
import { seedLoadgen } from './seed-loadgen.js';
import { traceReplay } from './trace/replay.js';
import { uniform } from './uniform.js';
import type { Workload, WorkloadOptions } from './workload.js';
import { zipf } from './zipf.js';

const DEFINITIONS: WorkloadDefinition[] = [seedLoadgen, scenarioWorkload, uniform, hotset, zipf, scan, qemuAgeTest, idle, traceReplay];

/** The seed used when none is given (reported in describe()). */
export const DEFAULT_WORKLOAD_SEED = 1;

export function workloadNames(): string[] {
  return DEFINITIONS.map((definition) => definition.name);
}

export function getWorkloadDefinition(name: string): WorkloadDefinition {
  const definition = DEFINITIONS.find((candidate) => candidate.name === name.toLowerCase());
  if (!definition) throw new WorkloadSpecError(`unknown workload "${name}"; valid: ${workloadNames().join(', ')}`);
  return definition;
}

function createOne(spec: string, pageCount: number, pageSize: number, seed: number): Workload {
  // trace:FILE may name a path containing ':' or '='; everything up to the first ',key=' is the file.
  const parsed = parseSpec(spec);
  if (parsed.name.length === 0) throw new WorkloadSpecError(`empty workload spec; valid workloads: ${workloadNames().join(', ')}`);
  const definition = getWorkloadDefinition(parsed.name);
  let params = parsed.params;
  let bare = parsed.bare;
  if (definition.name === 'trace') {
    const match = /^(.*?)((?:,\s*[a-z]+=[^,]*)*)$/i.exec(parsed.rest);
    const file = (match?.[1] ?? parsed.rest).trim();
    bare = file.length > 0 ? [file] : [];
    params = parseSpec(`trace:${match?.[2]?.replace(/^,/, '') ?? ''}`).params;
  } else if (bare.length > 0) {
    throw new WorkloadSpecError(`workload "${definition.name}": expected key=value parameters, found "${bare[0]}"`);
  }
  const reader = new ParamReader(definition.name, params);
  return definition.create(reader, { pageCount, pageSize, seed, bare });
}

/**
 * Builds a workload for a guest of `pageCount` pages of `pageSize` bytes (default 4096).
 * Throws a one-line WorkloadSpecError (or TraceError) on unknown names and bad parameters.
 */
export function createWorkload(spec: string, options: WorkloadOptions): Workload {
  const pageSize = options.pageSize ?? 4096;
  const seed = options.seed ?? DEFAULT_WORKLOAD_SEED;
  if (!Number.isInteger(options.pageCount) || options.pageCount < 1) throw new WorkloadSpecError(`guest page count must be a positive integer, got ${options.pageCount}`);
  if (!Number.isInteger(pageSize) || pageSize < 8 || (pageSize & (pageSize - 1)) !== 0) throw new WorkloadSpecError(`page size must be a power of two >= 8, got ${pageSize}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new WorkloadSpecError(`seed must be a non-negative integer, got ${seed}`);
  // A trace path may contain '+': only split when the spec is not one trace spec.
  const parts = /^\s*trace:/i.test(spec) && !/\+\s*[a-z-]+(:|\s*$)/i.test(spec) ? [spec.trim()] : splitComposition(spec);
  if (parts.length === 0) throw new WorkloadSpecError(`empty workload spec; valid workloads: ${workloadNames().join(', ')}`);
  if (parts.length === 1) return createOne(parts[0]!, options.pageCount, pageSize, seed);
  return new CompositeWorkload(
    parts.map((part, index) => createOne(part, options.pageCount, pageSize, deriveSeed(seed, 100 + index))),
    seed,
  );
}

/** Names, summaries and parameters of every workload (for `pagedelta workloads list`). */
export function workloadCatalogue(): { name: string; description: string; params: Readonly<Record<string, string>> }[] {
  return DEFINITIONS.map(({ name, description, params }) => ({ name, description, params }));
}

/**
 * Adds a workload at run time (a plug-in, a test). It is known in this thread only: experiment
 * workers load the registry afresh, so run such experiments with `workers: 0`.
 */
export function registerWorkload(definition: WorkloadDefinition): void {
  addDefinition(DEFINITIONS, definition, 'workload');
}
