/** What each workload file exports so that the registry can list and build it. */
import type { Definition } from '../registry/definition.js';
import { type ContentKind, type ContentSpec, readContent, readRegion, type Region } from './content.js';
import type { ParamReader } from './params.js';
import type { Workload } from './workload.js';

export interface CreateContext {
  pageCount: number;
  pageSize: number;
  seed: number;
  /** Items of the spec without `=` (e.g. the trace file). */
  bare: string[];
}

/** `params`: parameter documentation, key -> meaning and default. */
export interface WorkloadDefinition extends Definition<string> {
  create(params: ParamReader, context: CreateContext): Workload;
}

/** Parameters every generator takes. */
export const COMMON_PARAMS: Readonly<Record<string, string>> = {
  region: 'START:COUNT pages of the guest this generator owns (numbers or percentages; default all)',
  content: 'initial content: zero, random, text, mixed or splitmix',
  zero: 'content=mixed: fraction of zero pages (default 0.25)',
  text: 'content=mixed: fraction of text-like pages (default 0.5); the rest are random',
  seed: 'overrides the run seed for this generator',
};

export interface CommonSetup {
  region: Region;
  content: ContentSpec;
  seed: number;
}

/** Reads region, content and seed (in that order, so they lead the normalised spec). */
export function readCommon(params: ParamReader, context: CreateContext, contentDefault: ContentKind): CommonSetup {
  const region = readRegion(params, context.pageCount);
  const content = readContent(params, contentDefault);
  const seed = params.has('seed') ? params.number('seed', context.seed, { min: 0, integer: true, max: Number.MAX_SAFE_INTEGER }) : context.seed;
  return { region, content, seed };
}

/** Reads `bytes=N` (changed bytes per write) or `bytes=page` (whole page rewritten): 0 means whole page. */
export function readBytesPerWrite(params: ParamReader, pageSize: number, fallback: number): number {
  if (params.has('bytes')) {
    const text = params.string('bytes', '');
    if (text.toLowerCase() === 'page') return 0;
    delete params.resolved.bytes;
  }
  return params.number('bytes', fallback, { min: 1, max: pageSize, integer: true });
}

/** Reads `run=N`: bytes per contiguous run of a sparse write (default 4, at most the page). */
export function readRun(params: ParamReader, pageSize: number, bytesPerWrite: number): number {
  const run = params.number('run', 4, { min: 1, max: pageSize, integer: true });
  if (bytesPerWrite === 0) delete params.resolved.run;
  return run;
}

export const RUN_PARAM = 'bytes per contiguous run of a sparse write (default 4: bytes=16 is 4 runs of 4)';

export function validKeys(definition: { params: Readonly<Record<string, string>> }): string[] {
  return Object.keys(definition.params);
}
