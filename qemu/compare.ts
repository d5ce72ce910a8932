/**
 * The simulator beside real QEMU: simulateMigration on the configuration of a real run (RAM =
 * QEMU's ram total, ROM and option blocks included; the dirtier's workload on its buffer; the
 * guest kernel's own non-zero pages as an idle random region; the rest zero), and a table of
 * QEMU's counters next to the simulator's with their ratios.
 */
import { simulateMigration } from '../harness/migration/simulate.js';
import type { MigrationResult } from '../harness/migration/stats.js';
import type { Table } from '../results/table.js';
import { resolveGuestWorkload, simulatorSpec } from './guest.js';
import { framesOf, type QemuRunResult } from './run.js';
import { placeAround } from '../harness/migration/placement.js';

const PAGE = 4096;

export interface CompareOptions {
  /**
   * Non-zero pages of the guest kernel outside the dirtier's buffer. Default: taken from this
   * run's bulk pass (QEMU's normal pages when the first pass ended minus the buffer's non-zero
   * pages), which makes the bulk pass agree by construction; pass a figure measured on another
   * run (e.g. an idle guest of the same RAM size) for a prediction.
   */
  kernelPages?: number;
  /** Simulated time limit (default: QEMU's total time x 3 + 30 s; QEMU's own limit when it was cancelled there). */
  maxTimeMs?: number;
  /**
   * The guest kernel's own dirtying outside the dirtier's buffer, page writes per second
   * (default 27: an idle guest of this harness, measured from QEMU's dirty-pages-rate).
   */
  backgroundDirtyRate?: number;
  /**
   * The stream's rate when max-bandwidth does not limit it (bytes/s; calibrateKernelPages
   * measures it). Default: max-bandwidth, which overstates the stop-and-copy's duration.
   */
  linkBps?: number;
  /** Place the buffer on the frames the guest reported (default true; false: contiguous above the kernel pages). */
  realPlacement?: boolean;
}

/** Page writes per second of an idle guest kernel here (QEMU's dirty-pages-rate on idle runs). */
export const IDLE_GUEST_DIRTY_RATE = 27;

export interface ComparisonRow {
  metric: string;
  qemu: number | null;
  simulator: number | null;
  /** simulator / qemu (null when either is missing or qemu is 0). */
  ratio: number | null;
}

export interface Comparison {
  simulatorWorkload: string;
  /** `frames reported by the guest` or `contiguous above the kernel pages`. */
  placement: string;
  kernelPages: number;
  kernelPagesSource: 'given' | 'bulk pass of this run';
  converged: { qemu: boolean; simulator: boolean };
  rows: ComparisonRow[];
  simulator: MigrationResult;
}

type Info = Record<string, unknown>;
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const field = (info: Info, block: string, key: string): number | null => num((info[block] as Info | undefined)?.[key]);

/**
 * The first poll after the bulk pass ended (dirty-sync-count 2 or more; else the last poll):
 * its transferred bytes bound the bulk pass from above by at most one polling period of sending.
 */
export function bulkPassPoll(run: QemuRunResult): Info | null {
  let last: Info | null = null;
  for (const poll of run.polls) {
    const syncs = field(poll.info, 'ram', 'dirty-sync-count');
    if (syncs !== null && syncs >= 2) return poll.info;
    last = poll.info;
  }
  return last;
}

/** Non-zero pages of the dirtier's buffer right after the fill (content kind and fractions). */
export function bufferNonZeroPages(run: QemuRunResult): number {
  const pages = run.config.bufferBytes / PAGE;
  const params = run.config.workloadParams;
  // qemu-age-test changes bytes of every page of its buffer each loop: all non-zero once it runs.
  if (params.workload === 'qemu-age-test' && Number(params.rate) > 0) return pages;
  switch (params.content) {
    case 'zero':
      return 0;
    case 'mixed':
      return Math.round(pages * (1 - Number(params.zero ?? 0.25)));
    default:
      return pages;
  }
}

export function compareWithSimulator(run: QemuRunResult, options: CompareOptions = {}): Comparison {
  const ramTotal = num((run.final.ram as Info | undefined)?.total) ?? run.config.ramBytes;
  const ramBytes = Math.floor(ramTotal / PAGE) * PAGE;
  const guest = resolveGuestWorkload(run.config.workload, run.config.bufferBytes, Number(run.config.workloadParams.seed ?? 1));
  let kernelPages = options.kernelPages;
  let source: Comparison['kernelPagesSource'] = 'given';
  if (kernelPages === undefined) {
    const bulk = bulkPassPoll(run);
    kernelPages = Math.max(0, (bulk ? (field(bulk, 'ram', 'normal') ?? 0) : 0) - bufferNonZeroPages(run));
    source = 'bulk pass of this run';
  }
  const bufferPages = guest.bufferBytes / PAGE;
  if (kernelPages + bufferPages > ramBytes / PAGE) kernelPages = ramBytes / PAGE - bufferPages;
  // Kernel pages at the bottom, the buffer right above them, zero pages above that.
  const workload = simulatorSpec(guest, kernelPages, kernelPages);
  // The buffer on the frames the guest kernel gave it (what QEMU's walk order and its
  // direct-mapped cache see); the kernel's and the zero pages on the frames left.
  const frames = options.realPlacement === false || !run.guest.frameRuns ? null : framesOf(run.guest.frameRuns);
  const ramPages = ramBytes / PAGE;
  const placement =
    frames !== null && frames.length === bufferPages && frames.every((frame) => frame < ramPages) ? placeAround(frames, kernelPages, ramPages) : null;
  const qemuTotalMs = num(run.final['total-time']) ?? run.polls[run.polls.length - 1]?.atMs ?? 60000;
  // QEMU cancelled at its time limit: give the simulator the same limit, so both answer "did not
  // converge within T"; otherwise leave it room to converge later than QEMU did.
  const simulatedLimitMs = run.timedOut ? qemuTotalMs : qemuTotalMs * 3 + 30000;
  const simulator = simulateMigration({
    workload,
    ramBytes,
    pageSize: PAGE,
    bandwidthBps: Math.max(options.linkBps ?? 0, run.config.maxBandwidthBps),
    maxBandwidthBps: run.config.maxBandwidthBps,
    downtimeLimitMs: run.config.downtimeLimitMs,
    codec: run.config.xbzrle ? 'xbzrle' : 'none',
    // The cache size QEMU used: it rounds a size that is not a power-of-two number of pages down.
    ...(run.config.xbzrle ? { cache: 'qemu', cacheBytes: field(run.final, 'xbzrle-cache', 'cache-size') ?? run.config.cacheBytes } : {}),
    autoConverge: run.config.autoConverge,
    mode: 'qemu',
    seed: Number(run.config.workloadParams.seed ?? 1),
    maxRounds: 100000,
    maxTimeMs: options.maxTimeMs ?? simulatedLimitMs,
    verify: 'digest',
    placement: placement ?? 'identity',
    // QEMU's own setup time, as measured: the simulator models what follows it.
    setupMs: num(run.final['setup-time']) ?? 0,
    backgroundDirtyRate: options.backgroundDirtyRate ?? IDLE_GUEST_DIRTY_RATE,
  });
  return {
    simulatorWorkload: workload,
    placement: placement !== null ? 'frames reported by the guest' : 'contiguous above the kernel pages',
    kernelPages,
    kernelPagesSource: source,
    converged: { qemu: run.final.status === 'completed' && !run.timedOut, simulator: simulator.converged },
    rows: comparisonRows(run.final, simulator, bulkPassPoll(run)),
    simulator,
  };
}

function row(metric: string, qemu: number | null, simulator: number | null): ComparisonRow {
  return { metric, qemu, simulator, ratio: qemu !== null && simulator !== null && qemu !== 0 ? simulator / qemu : null };
}

/** QEMU's final query-migrate beside the simulator's figures under the same names. */
export function comparisonRows(final: Info, sim: MigrationResult, bulk: Info | null): ComparisonRow[] {
  const ram = sim.stats.ram as unknown as Info;
  const cache = sim.stats['xbzrle-cache'] as unknown as Info;
  const simulatorTop = sim as unknown as Info;
  const bulkSim = sim.timeline[0];
  return [
    row('dirty-sync-count', field(final, 'ram', 'dirty-sync-count'), num(ram['dirty-sync-count'])),
    row('total-time (ms)', num(final['total-time']), sim.totalTimeMs),
    row('downtime (ms)', num(final.downtime), sim.downtimeMs),
    row('setup-time (ms)', num(final['setup-time']), num(simulatorTop.setupTimeMs) ?? num(ram['setup-time'])),
    row('transferred (bytes)', field(final, 'ram', 'transferred'), num(ram.transferred)),
    row('bulk pass transferred (bytes)', bulk ? field(bulk, 'ram', 'transferred') : null, bulkSim ? bulkSim.wireBytes : null),
    row('normal (pages)', field(final, 'ram', 'normal'), num(ram.normal)),
    row('normal-bytes', field(final, 'ram', 'normal-bytes'), num(ram['normal-bytes'])),
    row('duplicate (pages)', field(final, 'ram', 'duplicate'), num(ram.duplicate)),
    row('precopy-bytes', field(final, 'ram', 'precopy-bytes'), num(ram['precopy-bytes'])),
    row('downtime-bytes', field(final, 'ram', 'downtime-bytes'), num(ram['downtime-bytes'])),
    row('xbzrle pages', field(final, 'xbzrle-cache', 'pages'), num(cache.pages)),
    row('xbzrle bytes', field(final, 'xbzrle-cache', 'bytes'), num(cache.bytes)),
    row('xbzrle cache-miss', field(final, 'xbzrle-cache', 'cache-miss'), num(cache['cache-miss'])),
    row('xbzrle cache-miss-rate', field(final, 'xbzrle-cache', 'cache-miss-rate'), num(cache['cache-miss-rate'])),
    row('xbzrle encoding-rate', field(final, 'xbzrle-cache', 'encoding-rate'), num(cache['encoding-rate'])),
    row('xbzrle overflow', field(final, 'xbzrle-cache', 'overflow'), num(cache.overflow)),
  ];
}

/** The side-by-side table (results/table.ts renders it as Markdown, CSV or JSON). */
export function comparisonTable(run: QemuRunResult, comparison: Comparison): Table {
  const rate = run.guest.measuredRate;
  return {
    title: `QEMU ${run.qemu.version} (${run.accelerator}) beside pagedelta: ${run.config.workload}`,
    columns: [
      { key: 'metric' },
      { key: 'qemu', title: 'QEMU' },
      { key: 'simulator', title: 'pagedelta' },
      { key: 'ratio', title: 'pagedelta / QEMU', digits: 3 },
    ],
    rows: [
      { metric: 'converged', qemu: String(comparison.converged.qemu), simulator: String(comparison.converged.simulator), ratio: null },
      ...comparison.rows.map((entry) => ({ metric: entry.metric, qemu: round4(entry.qemu), simulator: round4(entry.simulator), ratio: entry.ratio })),
    ],
    notes: [
      `guest: ${run.config.ramBytes / 2 ** 20} MiB RAM (QEMU ram total ${num((run.final.ram as Info | undefined)?.total) ?? '?'} bytes), buffer ${run.config.bufferBytes / 2 ** 20} MiB, measured rate ${rate === null ? 'none printed' : `${rate} ${run.guest.rateUnit}`}`,
      `migration: xbzrle ${run.config.xbzrle ? `on, cache ${run.config.cacheBytes} bytes` : 'off'}, max-bandwidth ${run.config.maxBandwidthBps} B/s, downtime-limit ${run.config.downtimeLimitMs} ms, auto-converge ${run.config.autoConverge}${run.timedOut ? ', QEMU cancelled at the time limit' : ''}`,
      `simulator workload: ${comparison.simulatorWorkload} (kernel pages: ${comparison.kernelPages}, ${comparison.kernelPagesSource}; buffer placement: ${comparison.placement})`,
    ],
  };
}

const round4 = (value: number | null): number | null => (value === null ? null : Math.round(value * 10000) / 10000);
