/**
 * Runs one cell of an experiment and returns its metrics. Each kind of cell is one function;
 * every input (seed, pages, settings) comes from the cell itself, so a cell gives the same
 * deterministic figures in whichever worker and in whichever order it runs.
 */
import type { CellParams, ExperimentSettings } from './experiment.js';
import { benchmarkCodecs } from '../codec-bench.js';
import { runCacheCell } from './cache-cell.js';
import { runMigrationCell } from './migration-cell.js';

export type Metrics = Record<string, unknown>;

type CellRunner<P extends CellParams> = (params: P, settings: ExperimentSettings) => Promise<Metrics>;

/** Codec micro-benchmark cell: one (codec, scenario) on the canonical page pairs. */
async function runCodecCell(params: Extract<CellParams, { kind: 'codec' }>, settings: ExperimentSettings): Promise<Metrics> {
  // The first row: kernel-visible pages for the delta codecs (as the simulator holds them).
  const {
    rows: [row],
  } = await benchmarkCodecs({
    cReference: false,
    codecs: [params.codec],
    scenarios: [params.scenario],
    pages: settings.codecPages,
    timeMs: settings.codecTimeMs,
    pageSize: settings.pageSize,
  });
  if (!row) throw new Error(`codec benchmark returned no row for ${params.codec} / ${params.scenario}`);
  return {
    pageSize: settings.pageSize,
    pages: settings.codecPages,
    encodedBytes: row.encodedBytes,
    ratio: row.encodedBytes / settings.pageSize,
    overflowPages: row.overflowPages,
    encodeMBps: row.encodeMBps,
    decodeMBps: row.decodeMBps,
    xorMBps: row.xorMBps,
    encodeVsXor: row.encodeVsXor,
    decodeVsXor: row.decodeVsXor,
    verified: row.verified,
  };
}

const RUNNERS: { [K in CellParams['kind']]?: CellRunner<Extract<CellParams, { kind: K }>> } = {
  migration: runMigrationCell,
  codec: runCodecCell,
  cache: runCacheCell,
};

/** Whether this build can run cells of `kind` (migration and cache cells need their layers). */
export function cellKindAvailable(kind: CellParams['kind']): boolean {
  return RUNNERS[kind] !== undefined;
}

export async function runCell(params: CellParams, settings: ExperimentSettings): Promise<Metrics> {
  const runner = RUNNERS[params.kind] as CellRunner<CellParams> | undefined;
  if (!runner) throw new Error(`${params.kind} cells cannot run in this build (the ${params.kind} layer is missing)`);
  return runner(params, settings);
}
