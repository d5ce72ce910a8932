/** Options of a simulated migration, their defaults, and their validation (one clear line each). */
import type { PageCache } from '../../caches/cache.js';
import { MAX_WRITE_RATE } from '../../workloads/params.js';
import type { Workload } from '../../workloads/workload.js';
import { CPU_MODES, type CpuMode } from './cpu.js';
import type { VerifyMode } from './destination.js';
import { checkMigrationLimits } from './limits.js';

export type MigrationMode = 'qemu' | 'qemu-2011';
export const MIGRATION_MODES: readonly MigrationMode[] = ['qemu', 'qemu-2011'];

export interface MigrationOptions {
  /** Workload spec (as the CLI takes it, e.g. `zipf:skew=0.9,rate=20000`) or an instance. */
  workload: string | Workload;
  /** Guest RAM in bytes (default 1 GiB); a whole number of pages. */
  ramBytes?: number;
  /** Page size in bytes (default 4096). */
  pageSize?: number;
  /** Link bandwidth, bytes per second (default 1 Gbit/s = 1.25e8). */
  bandwidthBps?: number;
  /** QEMU's max-bandwidth cap, bytes per second, enforced per 100 ms window (default QEMU's 128 MiB/s; Infinity or 0: none). */
  maxBandwidthBps?: number;
  /** QEMU's downtime-limit (default 300 ms). */
  downtimeLimitMs?: number;
  /**
   * Fixed cost of the switchover added to the downtime: the final dirty-log sync, device state
   * and the end of the stream (default 10 ms; real QEMU 7.2 runs on loopback took 7-25 ms).
   */
  switchoverMs?: number;
  /** Time from the start of the migration to the first page sent (QEMU's setup-time; default 0). */
  setupMs?: number;
  /**
   * Where the workload's pages sit in guest-physical memory (the order pages are sent in and
   * the key of the cache): `identity`, `random` (a seeded permutation of every page, as a
   * kernel's page allocator scatters a program's pages) or `runs:N` (runs of N contiguous
   * pages in random order). Default: `random` for workloads that stand for a guest program
   * (qemu-age-test, hotset, uniform, zipf, scan), `identity` for the others. A Uint32Array
   * gives the guest-physical page of every workload page (a permutation; e.g. the frames a
   * real guest reported, through placeAround).
   */
  placement?: string | Uint32Array;
  /** The guest kernel's own background dirtying, page writes per second of guest time (default 0). */
  backgroundDirtyRate?: number;
  /** Pages the background writes go to: the last `backgroundDirtyPages` pages of the workload's numbering (default 512). */
  backgroundDirtyPages?: number;
  /** Codec name from the codec registry, or `none`: every page sent whole (default `xbzrle`). */
  codec?: string;
  /** Cache policy spec or instance (default: `qemu` in mode qemu, `set-assoc:ways=2` in qemu-2011). */
  cache?: string | PageCache;
  /**
   * Cache size in bytes (default QEMU's 64 MiB, or less for a smaller guest: the largest
   * power-of-two number of its pages). For QEMU's direct-mapped cache a size that is not a
   * power-of-two number of pages is rounded down, as QEMU's cache_init does (the result's
   * `notes` says so).
   */
  cacheBytes?: number;
  /** Per-page sender behaviour (default `qemu`). */
  mode?: MigrationMode;
  /** How codec work costs simulated time (default `model`). */
  cpu?: CpuMode;
  /** Encoding overlaps sending (default true). */
  pipeline?: boolean;
  /** Encoder threads: encode throughput scales by this (default 1). */
  encoderThreads?: number;
  /** Seed of the workload (default 1). */
  seed?: number;
  /** Pre-copy dirty-log syncs (QEMU's passes, setup sync excluded) after which the run stops as "did not converge" (default 1000). */
  maxRounds?: number;
  /** Simulated time after which the run stops as "did not converge" (default none). */
  maxTimeMs?: number;
  /** QEMU's auto-converge capability (default false). */
  autoConverge?: boolean;
  /** Count QEMU's per-page headers (8-byte page header, flag and length bytes) on the wire (default true). */
  wireHeaders?: boolean;
  /** `full` keeps a destination copy, `digest` keeps per-page digests; `auto` (default) is full up to 4 GiB. */
  verify?: VerifyMode | 'auto';
  /** Granularity at which the workload is advanced in simulated time (default 1 ms). */
  workloadTickMs?: number;
  /** Fault injection for tests: corrupt the payload of the `send`-th transmission (1-based, default 1) of a page. */
  corruptWire?: { pageNumber: number; send?: number };
  /** Called after each pre-copy sync and after stop-and-copy (progress). */
  onRound?: (entry: RoundEntry) => void;
}

/**
 * One line of the timeline: the period from one dirty-log sync to the next (QEMU's "pass"),
 * the period the stop ended if no sync closed it (no sync figures), and one line for
 * stop-and-copy; the lines add up to the run's totals.
 */
export interface RoundEntry {
  round: number;
  /** `bulk` while the first walk over memory was not finished when the period began. */
  stage: 'bulk' | 'iterative' | 'stop-and-copy';
  startMs: number;
  durationMs: number;
  pagesNormal: number;
  pagesZero: number;
  /** Pages sent as a delta against the cache, whatever the codec. */
  pagesDelta: number;
  /** QEMU's name for pagesDelta (the same figure). */
  pagesXbzrle: number;
  pagesCompressed: number;
  /** Cache hits whose content had not changed: nothing sent. */
  pagesIdentical: number;
  cacheMisses: number;
  wireBytes: number;
  /** Pages marked in the migration bitmap after the sync that ended this period (unsent pages included; 0 for stop-and-copy). */
  dirtyPagesAtSync: number;
  /** Pages the sync that ended this period found newly dirty, not already marked (stop-and-copy: the final sync). */
  newlyDirtyPages: number;
  /** bandwidth estimate x downtime limit at that sync, bytes. */
  thresholdBytes: number;
  /** vCPU throttle in percent during the pass (auto-converge). */
  throttlePercent: number;
}

export interface ResolvedOptions {
  ramBytes: number;
  pageSize: number;
  pageCount: number;
  bandwidthBps: number;
  maxBandwidthBps: number;
  downtimeLimitMs: number;
  switchoverMs: number;
  setupMs: number;
  backgroundDirtyRate: number;
  backgroundDirtyPages: number;
  codec: string;
  cacheSpec: string | null;
  cacheBytes: number;
  mode: MigrationMode;
  cpu: CpuMode;
  pipeline: boolean;
  encoderThreads: number;
  seed: number;
  maxRounds: number;
  maxTimeMs: number;
  autoConverge: boolean;
  wireHeaders: boolean;
  verify: VerifyMode;
  workloadTickMs: number;
  /** What was adjusted to follow QEMU (e.g. the cache size rounded down). */
  notes: string[];
}

/** The one place the migration's defaults live: resolveOptions, simulate and the CLI's flags read them. */
export const DEFAULTS = {
  ramBytes: 2 ** 30,
  pageSize: 4096,
  bandwidthBps: 1e9 / 8,
  maxBandwidthBps: 128 * 2 ** 20,
  downtimeLimitMs: 300,
  switchoverMs: 10,
  setupMs: 0,
  backgroundDirtyPages: 512,
  codec: 'xbzrle',
  cacheBytes: 64 * 2 ** 20,
  mode: 'qemu' as MigrationMode,
  cpu: 'model' as CpuMode,
  encoderThreads: 1,
  seed: 1,
  maxRounds: 1000,
  /** Largest guest verified with a full destination copy under verify `auto`. */
  fullVerifyMaxBytes: 4 * 2 ** 30,
  workloadTickMs: 1,
};

/** The defaults as flag text (`--ram 1GiB`, `--bandwidth 1Gbit/s`), so `--help` shows what resolveOptions uses. */
export const DEFAULT_FLAGS = {
  ram: `${DEFAULTS.ramBytes / 2 ** 30}GiB`,
  pageSize: String(DEFAULTS.pageSize),
  bandwidth: `${(DEFAULTS.bandwidthBps * 8) / 1e9}Gbit/s`,
  maxBandwidth: `${DEFAULTS.maxBandwidthBps / 2 ** 20}MiB/s`,
  downtime: `${DEFAULTS.downtimeLimitMs}ms`,
  switchover: `${DEFAULTS.switchoverMs}ms`,
  cacheSize: `${DEFAULTS.cacheBytes / 2 ** 20}MiB`,
} as const;

function positive(value: number, flag: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`${flag} must be a positive number, got ${value}`);
  return value;
}

function nonNegative(value: number, flag: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`${flag} must be a number >= 0, got ${value}`);
  return value;
}

/**
 * Fills in defaults and rejects nonsense with one clear line. Cache-specific checks (a page at
 * least; QEMU's direct-mapped cache gets a power-of-two number of slots, rounded down as QEMU
 * does) are done here too, so that the error names the flag rather than the policy's internals.
 */
export function resolveOptions(options: MigrationOptions, codecKind: 'delta' | 'whole' | 'none', cacheSpec: string | null): ResolvedOptions {
  const pageSize = options.pageSize ?? DEFAULTS.pageSize;
  if (!Number.isInteger(pageSize) || pageSize < 8 || (pageSize & (pageSize - 1)) !== 0) {
    throw new Error(`page size must be a power of two >= 8, got ${pageSize}`);
  }
  const ramBytes = positive(options.ramBytes ?? DEFAULTS.ramBytes, 'ram size');
  if (ramBytes % pageSize !== 0) throw new Error(`ram size ${ramBytes} is not a whole number of ${pageSize}-byte pages`);
  const bandwidthBps = options.bandwidthBps ?? DEFAULTS.bandwidthBps;
  if (typeof bandwidthBps !== 'number' || Number.isNaN(bandwidthBps) || bandwidthBps <= 0 || bandwidthBps === Infinity) {
    throw new Error(`bandwidth must be a positive, finite rate, got ${bandwidthBps} bytes/s`);
  }
  let maxBandwidthBps = options.maxBandwidthBps ?? DEFAULTS.maxBandwidthBps;
  if (maxBandwidthBps === 0) maxBandwidthBps = Infinity;
  if (typeof maxBandwidthBps !== 'number' || Number.isNaN(maxBandwidthBps) || maxBandwidthBps < 0) {
    throw new Error(`max bandwidth must be a positive rate (or 0/none for no cap), got ${maxBandwidthBps}`);
  }
  const downtimeLimitMs = nonNegative(options.downtimeLimitMs ?? DEFAULTS.downtimeLimitMs, 'downtime limit');
  const switchoverMs = nonNegative(options.switchoverMs ?? DEFAULTS.switchoverMs, 'switchover cost');
  const setupMs = nonNegative(options.setupMs ?? DEFAULTS.setupMs, 'setup time');
  const backgroundDirtyRate = nonNegative(options.backgroundDirtyRate ?? 0, 'background dirty rate');
  // The same cap as every workload's rate: the writes are simulated one by one.
  if (backgroundDirtyRate > MAX_WRITE_RATE) throw new Error(`background dirty rate ${backgroundDirtyRate} must be <= ${MAX_WRITE_RATE}`);
  const backgroundDirtyPages = options.backgroundDirtyPages ?? Math.min(DEFAULTS.backgroundDirtyPages, ramBytes / pageSize);
  if (!Number.isInteger(backgroundDirtyPages) || backgroundDirtyPages < 1 || backgroundDirtyPages > ramBytes / pageSize) {
    throw new Error(`background dirty pages must be an integer from 1 to the guest's ${ramBytes / pageSize} pages, got ${backgroundDirtyPages}`);
  }
  const mode = options.mode ?? DEFAULTS.mode;
  if (!MIGRATION_MODES.includes(mode)) throw new Error(`unknown mode "${mode}"; valid modes: ${MIGRATION_MODES.join(', ')}`);
  const cpu = options.cpu ?? DEFAULTS.cpu;
  if (!CPU_MODES.includes(cpu)) throw new Error(`unknown cpu model "${cpu}"; valid: ${CPU_MODES.join(', ')}`);
  const encoderThreads = options.encoderThreads ?? DEFAULTS.encoderThreads;
  if (!Number.isInteger(encoderThreads) || encoderThreads < 1) throw new Error(`encoder threads must be an integer >= 1, got ${encoderThreads}`);
  const maxRounds = options.maxRounds ?? DEFAULTS.maxRounds;
  if (!Number.isInteger(maxRounds) || maxRounds < 1) throw new Error(`max rounds must be an integer >= 1, got ${maxRounds}`);
  const maxTimeMs = options.maxTimeMs ?? Infinity;
  if (typeof maxTimeMs !== 'number' || Number.isNaN(maxTimeMs) || maxTimeMs <= 0) throw new Error(`max time must be positive, got ${maxTimeMs}`);
  const seed = options.seed ?? DEFAULTS.seed;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const workloadTickMs = positive(options.workloadTickMs ?? DEFAULTS.workloadTickMs, 'workload tick');

  // QEMU's 64 MiB default; for a smaller guest, the largest power-of-two number of its pages.
  let cacheBytes = options.cacheBytes ?? Math.min(DEFAULTS.cacheBytes, pageSize * 2 ** Math.floor(Math.log2(ramBytes / pageSize)));
  const notes: string[] = [];
  if (codecKind === 'delta') {
    if (typeof cacheBytes !== 'number' || !Number.isFinite(cacheBytes) || cacheBytes < pageSize) {
      throw new Error(`cache size ${cacheBytes} bytes is smaller than one ${pageSize}-byte page`);
    }
    if (cacheBytes > ramBytes) throw new Error(`cache size ${cacheBytes} bytes exceeds the guest's RAM (${ramBytes} bytes), as QEMU refuses too`);
    const slots = Math.floor(cacheBytes / pageSize);
    if (cacheSpec !== null && /^qemu(-noage)?(:|$)/.test(cacheSpec) && (slots > 2 ** 30 || (slots & (slots - 1)) !== 0 || cacheBytes !== slots * pageSize)) {
      // QEMU's cache_init keeps the largest power-of-two number of pages that fits.
      const rounded = 2 ** Math.floor(Math.log2(slots));
      notes.push(
        `cache size ${cacheBytes} bytes is not a power-of-two number of ${pageSize}-byte pages: rounded down to ${rounded} pages (${rounded * pageSize} bytes), as QEMU's cache_init does`,
      );
      cacheBytes = rounded * pageSize;
    }
  }
  const verifyOption = options.verify ?? 'auto';
  if (!['auto', 'full', 'digest'].includes(verifyOption)) throw new Error(`unknown verify mode "${verifyOption}"; valid: auto, full, digest`);
  const verify: VerifyMode = verifyOption === 'auto' ? (ramBytes <= DEFAULTS.fullVerifyMaxBytes ? 'full' : 'digest') : verifyOption;
  const resolved: ResolvedOptions = {
    ramBytes,
    pageSize,
    pageCount: ramBytes / pageSize,
    bandwidthBps,
    maxBandwidthBps,
    downtimeLimitMs,
    switchoverMs,
    setupMs,
    backgroundDirtyRate,
    backgroundDirtyPages,
    codec: options.codec ?? DEFAULTS.codec,
    cacheSpec,
    cacheBytes,
    mode,
    cpu,
    pipeline: options.pipeline ?? true,
    encoderThreads,
    seed,
    maxRounds,
    maxTimeMs,
    autoConverge: options.autoConverge ?? false,
    wireHeaders: options.wireHeaders ?? true,
    verify,
    workloadTickMs,
    notes,
  };
  checkMigrationLimits(resolved);
  return resolved;
}
