/** Migration cells: one end-to-end simulated migration (harness/migration.ts) per cell. */
import { type ExperimentSettings, type MigrationCellParams, resolveTracePath } from './experiment.js';
import { getCodec } from '../../codecs/registry.js';
import { type MigrationOptions, simulateMigration } from '../migration.js';
import { resolveOptions } from '../migration/options.js';

/** The simulator's options for a cell. */
function cellOptions(params: MigrationCellParams, settings: ExperimentSettings): MigrationOptions {
  return {
    workload: resolveTracePath(params.workload, settings.baseDir),
    ramBytes: params.ramBytes,
    pageSize: settings.pageSize,
    bandwidthBps: params.bandwidthBps,
    // null in the experiment = no cap (the simulator's own default is QEMU's 128 MiB/s).
    maxBandwidthBps: settings.maxBandwidthBps ?? 0,
    downtimeLimitMs: params.downtimeLimitMs,
    codec: params.codec,
    ...(params.cache !== null ? { cache: params.cache, cacheBytes: params.cacheBytes } : {}),
    mode: params.mode as 'qemu' | 'qemu-2011',
    cpu: settings.cpu,
    seed: params.seed,
    maxRounds: settings.maxRounds,
  };
}

/**
 * Checks a cell's options against the simulator's ranges without running it, so a grid with
 * one absurd cell fails before the first cell starts, naming that cell.
 */
export function checkMigrationCell(params: MigrationCellParams, settings: ExperimentSettings): void {
  const codecKind = params.codec === 'none' ? 'none' : getCodec(params.codec).kind;
  resolveOptions(cellOptions(params, settings), codecKind, params.cache);
}

/** One simulated migration; the row keeps QEMU's statistics and the per-round timeline. */
export async function runMigrationCell(params: MigrationCellParams, settings: ExperimentSettings): Promise<Record<string, unknown>> {
  const result = await simulateMigration(cellOptions(params, settings));
  const cache = result.stats['xbzrle-cache'];
  const usesCache = params.cache !== null;
  return {
    totalTimeMs: result.totalTimeMs,
    downtimeMs: result.downtimeMs,
    rounds: result.rounds,
    wireBytes: result.wireBytes,
    wireRatio: result.wireBytes / params.ramBytes,
    converged: result.converged,
    stopReason: result.stopReason,
    verified: result.verified,
    missRate: usesCache ? cache['cache-miss-rate'] : null,
    hitRatio: usesCache ? result.cacheHitRatio : null,
    encodingRate: usesCache ? cache['encoding-rate'] : null,
    expectedDowntimeMs: result.stats['expected-downtime'],
    dirtySyncCount: result.stats.ram['dirty-sync-count'],
    encodeSeconds: result.cpu.encodeSeconds,
    decodeSeconds: result.cpu.decodeSeconds,
    wire: result.wire,
    stats: result.stats,
    timeline: result.timeline,
  };
}

