/**
 * The valid range of every migration option, checked before anything is allocated. The ranges
 * are wide enough for any real migration and narrow enough that no accepted value runs for
 * hours, allocates beyond the machine, or produces Infinity: a value outside is a typo.
 */
import { totalmem } from 'node:os';
import type { ResolvedOptions } from './options.js';

const GiB = 2 ** 30;

/** Inclusive ranges, in the units of ResolvedOptions (bytes, bytes per second, ms). */
export const MIGRATION_LIMITS = {
  /** Guest RAM: up to 16 TiB (the machine's memory is checked separately). */
  ramBytes: { min: 8, max: 2 ** 44, unit: 'bytes' },
  /** Link bandwidth: 1 Mbit/s .. 10 Tbit/s. */
  bandwidthBps: { min: 1e6 / 8, max: 1e13 / 8, unit: 'bytes/s' },
  /** QEMU's max-bandwidth: the same range, or none (Infinity). */
  maxBandwidthBps: { min: 1e6 / 8, max: 1e13 / 8, unit: 'bytes/s' },
  /** QEMU's downtime-limit accepts 0 .. 2000 s. */
  downtimeLimitMs: { min: 0, max: 2_000_000, unit: 'ms' },
  /** Device state and resume: up to a minute. */
  switchoverMs: { min: 0, max: 60_000, unit: 'ms' },
  /** QEMU's setup-time is milliseconds; the guest runs (and is simulated) through all of it. */
  setupMs: { min: 0, max: 60_000, unit: 'ms' },
  encoderThreads: { min: 1, max: 256, unit: 'threads' },
  maxRounds: { min: 1, max: 1_000_000, unit: 'passes' },
  /** A simulated run is capped at 7 simulated days. */
  maxTimeMs: { min: 0.001, max: 7 * 86_400_000, unit: 'ms' },
  workloadTickMs: { min: 0.001, max: 1000, unit: 'ms' },
} as const;

/** Longest single pass over the guest (RAM / effective bandwidth) that a run may imply. */
export const MAX_PASS_SECONDS = 7 * 86_400;

type LimitedKey = keyof typeof MIGRATION_LIMITS;

const NAMES: Record<LimitedKey, string> = {
  ramBytes: 'ram size',
  bandwidthBps: 'bandwidth',
  maxBandwidthBps: 'max bandwidth',
  downtimeLimitMs: 'downtime limit',
  switchoverMs: 'switchover cost',
  setupMs: 'setup time',
  encoderThreads: 'encoder threads',
  maxRounds: 'max rounds',
  maxTimeMs: 'max time',
  workloadTickMs: 'workload tick',
};

function formatGiB(bytes: number): string {
  return `${(bytes / GiB).toFixed(bytes < 10 * GiB ? 1 : 0)} GiB`;
}

/** Bytes the simulator holds for a run: guest memory, the destination, the cache slab, per-page state. */
export function estimateMigrationMemory(options: Pick<ResolvedOptions, 'ramBytes' | 'pageCount' | 'cacheBytes' | 'verify'>): number {
  const destination = options.verify === 'full' ? options.ramBytes : options.pageCount * 8;
  const perPage = options.pageCount * 24; // dirty bitmaps, cache index, digests
  return options.ramBytes + destination + options.cacheBytes + perPage;
}

/** Throws one line naming the option, its value and its range; then checks the machine's memory. */
export function checkMigrationLimits(options: ResolvedOptions, machineBytes = totalmem()): void {
  for (const key of Object.keys(MIGRATION_LIMITS) as LimitedKey[]) {
    const value = options[key];
    if (key === 'maxBandwidthBps' && value === Infinity) continue;
    if (key === 'maxTimeMs' && value === Infinity) continue;
    const { min, max, unit } = MIGRATION_LIMITS[key];
    if (!(value >= min && value <= max)) throw new Error(`${NAMES[key]} ${value} ${unit} is outside the valid range ${min} .. ${max} ${unit}`);
  }
  const effective = Math.min(options.bandwidthBps, options.maxBandwidthBps);
  const passSeconds = options.ramBytes / effective;
  if (passSeconds > MAX_PASS_SECONDS) {
    throw new Error(`one pass over ${options.ramBytes} bytes at ${effective} bytes/s would take ${(passSeconds / 86_400).toFixed(1)} simulated days (limit 7): raise the bandwidth or shrink the guest`);
  }
  const needed = estimateMigrationMemory(options);
  if (needed > machineBytes * 0.85) {
    throw new Error(`a ${formatGiB(options.ramBytes)} guest needs about ${formatGiB(needed)} of memory here (guest, destination copy, cache), this machine has ${formatGiB(machineBytes)}${options.verify === 'full' ? '; verify: digest needs less' : ''}`);
  }
}
