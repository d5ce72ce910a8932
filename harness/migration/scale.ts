/**
 * Scale benchmark of the simulator: wall time and peak memory of one end-to-end migration
 * (Zipf workload, xbzrle, cache = guest / 16) for one guest size. `pagedelta scale` runs each
 * size in its own process so that peak RSS belongs to that size alone.
 */
import { getCodec } from '../../codecs/registry.js';
import { type MigrationOptions, resolveOptions } from './options.js';
import { simulateMigration } from './simulate.js';

export const SCALE_WORKLOAD = 'zipf:skew=0.9,rate=20000';

/** Guest sizes of a default `pagedelta scale` run. */
export const SCALE_SIZES = ['256M', '512M', '1G', '2G', '4G'];

export interface ScaleRow {
  ramBytes: number;
  cacheBytes: number;
  wallSeconds: number;
  /** Peak resident set of the process, bytes. */
  peakRssBytes: number;
  peakOverGuest: number;
  simulatedSeconds: number;
  downtimeMs: number;
  rounds: number;
  converged: boolean;
  verification: string;
}

function scaleOptions(ramBytes: number): MigrationOptions {
  return { workload: SCALE_WORKLOAD, ramBytes, codec: 'xbzrle', cache: 'qemu', cacheBytes: ramBytes / 16, cpu: 'model' };
}

/** Throws the simulator's one-line error for a guest size it would refuse, without running it. */
export function checkScalePoint(ramBytes: number): void {
  resolveOptions(scaleOptions(ramBytes), getCodec('xbzrle').kind, 'qemu');
}

export function runScalePoint(ramBytes: number): ScaleRow {
  const options = scaleOptions(ramBytes);
  const cacheBytes = options.cacheBytes!;
  const started = performance.now();
  const result = simulateMigration(options);
  const wallSeconds = (performance.now() - started) / 1000;
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  return {
    ramBytes,
    cacheBytes,
    wallSeconds,
    peakRssBytes,
    peakOverGuest: peakRssBytes / ramBytes,
    simulatedSeconds: result.totalTimeMs / 1000,
    downtimeMs: result.downtimeMs,
    rounds: result.rounds,
    converged: result.converged,
    verification: result.verification,
  };
}
