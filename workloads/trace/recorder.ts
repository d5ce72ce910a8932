/**
 * Records running Linux processes as a content trace: every interval it reads the chosen
 * writable mappings (/proc/PID/maps) and their bytes (/proc/PID/mem), and writes one epoch
 * holding every page that changed since the previous snapshot. The first epoch holds every
 * non-zero page (the initial image).
 *
 * Two ways to find the pages (said once at the start, in `method`):
 * - soft-dirty, where the kernel has it (workloads/trace/recorder/soft-dirty.ts): only pages the
 *   process wrote since the last snapshot are read; a page written with unchanged bytes is
 *   recorded as written (the hypervisor's dirty log would resend it: entry kind `unchanged`);
 * - content diff everywhere else: every page is read, by worker threads on all cores, in
 *   4 MiB reads compared with a shadow copy (workloads/trace/recorder/scanner.ts); only pages whose
 *   bytes changed are recorded.
 *
 * Virtual addresses are sparse, so pages get dense trace numbers: each address range gets a
 * region (recorded in the trace) the first time it is seen; a mapping that grows gets a new
 * region for the new part; one that vanishes keeps its region. Several processes share one
 * trace, each with its own regions. A QEMU process can be recorded as its guest: only the
 * RAM block, with trace page numbers equal to guest-physical page numbers.
 * Snapshots are not atomic: the processes keep running while they are read.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { findGuestRam, type Mapping, type MappingSelection, parseMaps, qemuGuest, type QemuGuest, selectMappings } from './recorder/mappings.js';
import { formatIntervals, intervalStats, type IntervalStats } from './recorder/intervals.js';
import { ENTRY_REWRITTEN, ENTRY_ZERO, PAGE_BYTES, TASK_ABSENT, TASK_CONTENT, TASK_DIRTY } from './recorder/scan-protocol.js';
import { Scanner } from './recorder/scanner.js';
import { clearSoftDirty, PAGEMAP_ENTRY_BYTES, presentRuns, readPagemap, softDirtyRuns, softDirtyUnavailable } from './recorder/soft-dirty.js';
import { PAGE_UNCHANGED, PAGE_XOR_LZ4, PAGE_ZERO } from './format.js';
import { type TraceSummary, TraceWriter } from './writer.js';


/** Bounds of the snapshot interval. */
export const MIN_INTERVAL_MS = 1;
export const MAX_INTERVAL_MS = 24 * 3600 * 1000;
export { type Mapping, parseMaps } from './recorder/mappings.js';
export const RECORD_PAGE_SIZE = PAGE_BYTES;

export class RecorderError extends Error {
  override name = 'RecorderError';
}

export type DirtyTracking = 'auto' | 'soft-dirty' | 'content';

export interface RecordOptions {
  /** Process(es) to record; each gets its own regions in the trace. */
  pid: number | number[];
  out: string;
  /** Snapshot interval (default 100 ms). */
  intervalMs?: number;
  /** Stop after this long (default: when every process exited or `signal` aborts). */
  durationMs?: number;
  signal?: AbortSignal;
  /** Shown in the header's source (e.g. the command started for the recording). */
  description?: string;
  /** Which mappings to read (default: every readable, writable one). */
  mappings?: MappingSelection;
  /** Record a QEMU process's guest RAM only, at guest-physical page numbers. */
  qemuGuest?: boolean;
  /** How dirty pages are found (default auto: soft-dirty where the kernel has it). */
  dirtyTracking?: DirtyTracking;
  /** Scanning threads (default: min(2, cores)). */
  threads?: number;
  /** Shadows (the recorder's copies of the pages) on transparent huge pages (default true): a faster first snapshot, more memory for sparsely present mappings. */
  hugePages?: boolean;
  onProgress?: (message: string) => void;
  /** Called after each snapshot (1-based count); the next one waits for the returned promise (tests step a child in lockstep). */
  onSnapshot?: (snapshots: number, tookMs: number) => void | Promise<void>;
  /** Said once or rarely: the method in use, slow snapshots, processes that exit. */
  onNotice?: (message: string) => void;
}

export interface RecordResult extends TraceSummary {
  /** Why recording stopped. */
  endedBy: 'duration' | 'exit' | 'signal';
  elapsedMs: number;
  snapshots: number;
  /** Bytes read from the processes over all snapshots. */
  bytesRead: number;
  /** `soft-dirty` or `content`. */
  method: 'soft-dirty' | 'content';
  /** Gaps between snapshot starts: the interval achieved. */
  intervals: IntervalStats | undefined;
  /** Time each snapshot took. */
  snapshotMs: { min: number; median: number; max: number };
  /** Snapshots that took more than twice the interval. */
  slowSnapshots: number;
  /** Processes that exited while recorded, and when (ms after the start). */
  exited: { pid: number; afterMs: number }[];
}

interface Region {
  start: number;
  end: number;
  firstPage: number;
  shadow: number;
  /** Soft-dirty: pages not yet scanned in full once (new regions are read whole). */
  fresh: boolean;
  /** Anonymous memory (no file behind it): a page the kernel holds no data for is zeros. */
  anonymous: boolean;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Checks that process `pid` exists and that we may read its memory: one clear line otherwise. */
function checkAccess(pid: number): void {
  if (!Number.isInteger(pid) || pid < 1) throw new RecorderError(`--pid must be a positive integer, got ${pid}`);
  try {
    readFileSync(`/proc/${pid}/stat`);
  } catch {
    throw new RecorderError(`no process with pid ${pid}`);
  }
  try {
    closeSync(openSync(`/proc/${pid}/mem`, 'r'));
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EACCES' || code === 'EPERM') {
      throw new RecorderError(
        `cannot read the memory of process ${pid} (/proc/${pid}/mem: permission denied): recording needs ptrace access to it; run as root, or as its owner with kernel.yama.ptrace_scope=0`,
      );
    }
    if (code === 'ENOENT' || code === 'ESRCH') throw new RecorderError(`no process with pid ${pid}`);
    throw new RecorderError(`cannot open /proc/${pid}/mem: ${code ?? (error as Error).message}`);
  }
}

const FOUR_GIB_PAGE = 2 ** 32 / PAGE_BYTES;

/** One recorded process: its regions and its share of each snapshot's tasks. */
class ProcessState {
  readonly regions: Region[] = [];
  exited = false;
  pagemapFd = -1;
  guest: QemuGuest | undefined;

  constructor(
    readonly pid: number,
    readonly label: string,
  ) {}
}

class Recording {
  private nextPage = 0;
  private pagemapEntries = new Uint8Array(PAGEMAP_ENTRY_BYTES * 1024);
  private runs = new Int32Array(2048);
  bytesRead = 0;

  constructor(
    private readonly writer: TraceWriter,
    private readonly scanner: Scanner,
    private readonly options: RecordOptions,
    private readonly softDirty: boolean,
  ) {}

  private newRegion(state: ProcessState, start: number, end: number, name: string, perms: string, firstPage?: number): Region {
    const pages = (end - start) / PAGE_BYTES;
    const first = firstPage ?? this.nextPage;
    this.nextPage = Math.max(this.nextPage, first + pages);
    // File-backed mappings (a path; shared memory too) have data in the page cache that the page table may not show.
    const anonymous = !name.startsWith('/');
    const region: Region = { start, end, firstPage: first, shadow: this.scanner.addShadow(end - start).index, fresh: true, anonymous };
    state.regions.push(region);
    this.writer.addRegion({ firstPage: first, pages, name: name || '[anon]', address: `0x${start.toString(16)}`, perms, ...(state.label ? { process: state.label } : {}) });
    return region;
  }

  /** Pieces of [start, end) as (region, from, to), creating regions for unseen parts. */
  private pieces(state: ProcessState, mapping: Mapping, out: [Region, number, number][]): void {
    let cursor = mapping.start;
    const overlapping = state.regions.filter((region) => region.end > mapping.start && region.start < mapping.end).sort((a, b) => a.start - b.start);
    for (const region of overlapping) {
      if (region.start > cursor) out.push([this.newRegion(state, cursor, region.start, mapping.name, mapping.perms), cursor, region.start]);
      const from = Math.max(mapping.start, region.start, cursor);
      const to = Math.min(mapping.end, region.end);
      if (to > from) out.push([region, from, to]);
      cursor = Math.max(cursor, to);
    }
    if (mapping.end > cursor) out.push([this.newRegion(state, cursor, mapping.end, mapping.name, mapping.perms), cursor, mapping.end]);
  }

  /** The QEMU guest's RAM as pieces at guest-physical page numbers (low RAM at 0, the rest from 4 GiB). */
  private guestPieces(state: ProcessState, mappings: Mapping[], out: [Region, number, number][]): void {
    const guest = state.guest!;
    if (state.regions.length === 0) {
      const ram = findGuestRam(mappings, guest.ramBytes);
      if (!ram) {
        throw new RecorderError(
          `process ${state.pid}: no writable mapping of ${guest.ramBytes / 2 ** 20} MiB (the guest RAM size from -m) found; is it a QEMU process?`,
        );
      }
      this.newRegion(state, ram.start, ram.start + guest.belowFourGiB, 'guest RAM below 4 GiB', ram.perms, 0).anonymous = ram.name === '';
      if (guest.ramBytes > guest.belowFourGiB) this.newRegion(state, ram.start + guest.belowFourGiB, ram.end, 'guest RAM above 4 GiB', ram.perms, FOUR_GIB_PAGE).anonymous = ram.name === '';
    }
    for (const region of state.regions) out.push([region, region.start, region.end]);
  }

  /** Adds the tasks of one process to `tasks`; false when it is gone. */
  private plan(state: ProcessState, tasks: number[]): boolean {
    let text: string;
    try {
      text = readFileSync(`/proc/${state.pid}/maps`, 'latin1');
    } catch {
      return false;
    }
    const all = parseMaps(text);
    if (all.length === 0) return false;
    const pieces: [Region, number, number][] = [];
    if (state.guest) this.guestPieces(state, all, pieces);
    else for (const mapping of this.options.mappings ? selectMappings(all, this.options.mappings) : all) this.pieces(state, mapping, pieces);
    for (const [region, from, to] of pieces) {
      const pages = (to - from) / PAGE_BYTES;
      const firstPage = region.firstPage + (from - region.start) / PAGE_BYTES;
      const shadowByte = from - region.start;
      if (this.softDirty && !region.fresh) this.pagemapTasks(state, from, pages, region.shadow, shadowByte, firstPage, tasks, true);
      else if (state.pagemapFd >= 0 && region.anonymous) this.pagemapTasks(state, from, pages, region.shadow, shadowByte, firstPage, tasks, false);
      else tasks.push(from, pages, region.shadow, shadowByte, firstPage, TASK_CONTENT);
    }
    if (this.softDirty) {
      try {
        clearSoftDirty(state.pid);
      } catch {
        return false;
      }
      for (const [region] of pieces) region.fresh = false;
    }
    return true;
  }

  /**
   * Tasks from /proc/PID/pagemap: with soft-dirty, the runs of pages written since the last
   * clear; otherwise (content diff) the runs of pages that hold data, read and compared, and
   * the pages between them (never touched or dropped: zeros) checked against the copy only.
   */
  private pagemapTasks(state: ProcessState, address: number, pages: number, shadow: number, shadowByte: number, firstPage: number, tasks: number[], softDirty: boolean): void {
    const step = 1 << 16;
    for (let done = 0; done < pages; done += step) {
      const count = Math.min(step, pages - done);
      if (this.pagemapEntries.length < count * PAGEMAP_ENTRY_BYTES) this.pagemapEntries = new Uint8Array(count * PAGEMAP_ENTRY_BYTES);
      if (this.runs.length < count * 2) this.runs = new Int32Array(count * 2);
      let got: number;
      try {
        got = readPagemap(state.pagemapFd, address + done * PAGE_BYTES, count, this.pagemapEntries);
      } catch {
        got = 0;
      }
      if (!softDirty && got < count) {
        // No pagemap for this range: read it all.
        tasks.push(address + done * PAGE_BYTES, count, shadow, shadowByte + done * PAGE_BYTES, firstPage + done, TASK_CONTENT);
        continue;
      }
      const found = softDirty ? softDirtyRuns(this.pagemapEntries, got, this.runs) : presentRuns(this.pagemapEntries, got, this.runs);
      let cursor = 0;
      for (let run = 0; run < found; run++) {
        const at = this.runs[run * 2]!;
        const length = this.runs[run * 2 + 1]!;
        if (!softDirty && at > cursor) tasks.push(0, at - cursor, shadow, shadowByte + (done + cursor) * PAGE_BYTES, firstPage + done + cursor, TASK_ABSENT);
        tasks.push(address + (done + at) * PAGE_BYTES, length, shadow, shadowByte + (done + at) * PAGE_BYTES, firstPage + done + at, softDirty ? TASK_DIRTY : TASK_CONTENT);
        cursor = at + length;
      }
      if (!softDirty && cursor < count) tasks.push(0, count - cursor, shadow, shadowByte + (done + cursor) * PAGE_BYTES, firstPage + done + cursor, TASK_ABSENT);
    }
  }

  /**
   * One snapshot of every live process as one epoch; returns the processes found gone. When
   * every process is gone before it is read, no epoch is written (`wrote` false).
   */
  async snapshot(states: ProcessState[], timeMs: number): Promise<{ gone: ProcessState[]; wrote: boolean }> {
    const gone: ProcessState[] = [];
    const writer = this.writer;
    const planned: [ProcessState, number[]][] = [];
    for (const state of states) {
      if (state.exited) continue;
      const tasks: number[] = [];
      if (this.plan(state, tasks)) planned.push([state, tasks]);
      else gone.push(state);
    }
    if (planned.length === 0) return { gone, wrote: false };
    writer.beginEpoch(timeMs);
    for (const [state, tasks] of planned) {
      const totals = await this.scanner.scan(state.pid, tasks, (pages, kinds, deltas, count) => {
        for (let i = 0; i < count; i++) {
          const kind = kinds[i]!;
          writer.writeDelta(pages[i]!, kind === ENTRY_ZERO ? PAGE_ZERO : kind === ENTRY_REWRITTEN ? PAGE_UNCHANGED : PAGE_XOR_LZ4, deltas, i * PAGE_BYTES);
        }
      });
      this.bytesRead += totals.bytesRead;
      if (totals.gone) gone.push(state);
    }
    writer.endEpoch();
    return { gone, wrote: true };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Write errors that end a recording but leave the epochs so far worth keeping. */
const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'I/O error',
};

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Resolves the dirty-tracking method, or throws when soft-dirty was asked for and is missing. */
export function chooseDirtyTracking(asked: DirtyTracking): { method: 'soft-dirty' | 'content'; reason: string } {
  if (asked === 'content') return { method: 'content', reason: 'content diff (asked): every page read and compared with the previous snapshot' };
  const missing = softDirtyUnavailable();
  if (missing === undefined) return { method: 'soft-dirty', reason: 'soft-dirty (kernel): only pages written since the last snapshot are read' };
  if (asked === 'soft-dirty') throw new RecorderError(`--dirty-tracking soft-dirty: ${missing}; use --dirty-tracking content`);
  return { method: 'content', reason: `content diff (${missing}): every page read and compared with the previous snapshot` };
}

/**
 * Records the processes into `out` until `durationMs`, their exit or `signal`. The trace is
 * closed validly in every case that reached the first snapshot: a process exiting keeps the
 * epochs recorded, and a write error (a full disk) keeps the epochs completed before it and
 * then fails with one line. On a failure before the first snapshot, nothing is left under `out`.
 */
export async function recordProcess(options: RecordOptions): Promise<RecordResult> {
  const intervalMs = options.intervalMs ?? 100;
  // A snapshot costs at least a read of /proc/PID/maps and a pass of the scanning threads (about
  // a millisecond for a small process): an interval below that is not one the recorder can keep.
  if (!(intervalMs >= MIN_INTERVAL_MS && intervalMs <= MAX_INTERVAL_MS)) throw new RecorderError(`--interval must be ${MIN_INTERVAL_MS} ms .. ${MAX_INTERVAL_MS / 3600000} h, got ${intervalMs} ms`);
  if (options.durationMs !== undefined && !(options.durationMs >= 0)) throw new RecorderError(`--duration must be >= 0, got ${options.durationMs}`);
  const pids = Array.isArray(options.pid) ? options.pid : [options.pid];
  if (pids.length === 0) throw new RecorderError('name at least one process to record');
  if (new Set(pids).size !== pids.length) throw new RecorderError(`--pid lists a process twice: ${pids.join(',')}`);
  if (options.mappings?.largest !== undefined && !(Number.isInteger(options.mappings.largest) && options.mappings.largest >= 1)) {
    throw new RecorderError(`--largest must be a positive integer, got ${options.mappings.largest}`);
  }
  if (options.qemuGuest && options.mappings) throw new RecorderError('--qemu records the guest RAM: it takes no --mapping or --largest');
  // Existence and ptrace access of every process before anything is written.
  for (const pid of pids) checkAccess(pid);
  const { method, reason } = chooseDirtyTracking(options.dirtyTracking ?? 'auto');
  options.onNotice?.(`dirty tracking: ${reason}`);
  const states = pids.map((pid) => new ProcessState(pid, pids.length > 1 ? `pid ${pid}` : ''));
  const commands = pids.map((pid) => commandLine(pid));
  if (options.qemuGuest) {
    for (const [index, state] of states.entries()) state.guest = qemuGuest(commands[index]!);
  }
  // Soft-dirty needs the pagemap; a content diff uses it, where readable, to skip pages that hold no data.
  for (const state of states) {
    try {
      state.pagemapFd = openSync(`/proc/${state.pid}/pagemap`, 'r');
    } catch (error) {
      if (method === 'soft-dirty') throw new RecorderError(`cannot read /proc/${state.pid}/pagemap: ${errorCode(error) ?? (error as Error).message}`);
    }
  }
  const scanner = new Scanner(options.threads, options.hugePages ?? true);
  let writer: TraceWriter | undefined;
  const snapshotStarts: number[] = [];
  const snapshotTimes: number[] = [];
  const exited: { pid: number; afterMs: number }[] = [];
  let slowSnapshots = 0;
  const closeExtra = (): Record<string, unknown> => ({ achievedInterval: intervalStats(snapshotStarts) ?? null, exited });
  try {
    const commandText = commands.map((command) => command.join(' '));
    writer = TraceWriter.open(options.out, {
      kind: 'content',
      pageSize: RECORD_PAGE_SIZE,
      timeUnit: 'ms',
      keepUnchanged: false,
      flushEachEpoch: true,
      source: options.description ?? pids.map((pid, index) => `pid ${pid}: ${commandText[index]}`).join('; '),
      recorder: {
        tool: 'pagedelta trace record',
        pid: pids.length === 1 ? pids[0] : pids,
        command: pids.length === 1 ? commandText[0] : commandText,
        intervalMs,
        ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
        dirtiness:
          method === 'soft-dirty'
            ? 'soft-dirty (pages written between snapshots; unchanged bytes recorded as unchanged entries)'
            : 'content (pages whose bytes changed between snapshots)',
        ...(options.mappings ? { mappings: options.mappings } : {}),
        ...(options.qemuGuest ? { qemuGuest: states.map((state) => state.guest) } : {}),
        host: hostname(),
        kernel: release(),
      },
    });
    const recording = new Recording(writer, scanner, options, method === 'soft-dirty');
    await scanner.ready();
    const start = performance.now();
    let endedBy: RecordResult['endedBy'] = 'exit';
    let next = 0;
    for (;;) {
      const elapsed = performance.now() - start;
      let gone: ProcessState[];
      let wrote: boolean;
      try {
        ({ gone, wrote } = await recording.snapshot(states, elapsed));
      } catch (error) {
        const code = errorCode(error);
        if (code && WRITE_ERRORS[code] && snapshotStarts.length > 0) {
          const kept = writer.salvage(closeExtra());
          writer = undefined;
          throw new RecorderError(
            `cannot write ${options.out}: ${WRITE_ERRORS[code]} (${code}); ${kept ? `the ${kept.epochs} epochs recorded before are kept in ${options.out}` : 'nothing could be kept'}`,
          );
        }
        if (code && WRITE_ERRORS[code]) throw new RecorderError(`cannot write ${options.out}: ${WRITE_ERRORS[code]} (${code}) before the first snapshot was complete; nothing was kept`);
        throw error;
      }
      const took = performance.now() - start - elapsed;
      for (const state of gone) {
        state.exited = true;
        exited.push({ pid: state.pid, afterMs: elapsed });
        options.onNotice?.(`process ${state.pid} exited after ${(elapsed / 1000).toFixed(2)} s; its epochs recorded so far are kept`);
      }
      const live = states.filter((state) => !state.exited).length;
      if (!wrote) break; // every process was gone before this snapshot
      snapshotStarts.push(elapsed);
      snapshotTimes.push(took);
      if (took > 2 * intervalMs) {
        slowSnapshots++;
        if (slowSnapshots <= 3 || slowSnapshots % 50 === 0) {
          options.onNotice?.(`warning: snapshot ${snapshotStarts.length} took ${took.toFixed(0)} ms, more than twice the ${intervalMs} ms interval${slowSnapshots > 3 ? ` (${slowSnapshots} slow snapshots so far)` : ''}`);
        }
      }
      if (live === 0) break;
      if (options.onSnapshot) await options.onSnapshot(snapshotStarts.length, took);
      if (options.onProgress && snapshotStarts.length % 50 === 0) options.onProgress(`${snapshotStarts.length} snapshots, ${(elapsed / 1000).toFixed(1)} s`);
      if (options.signal?.aborted) {
        endedBy = 'signal';
        break;
      }
      const now = performance.now() - start;
      if (options.durationMs !== undefined && now >= options.durationMs) {
        endedBy = 'duration';
        break;
      }
      next += intervalMs;
      if (next < now) next = now; // fell behind: the next snapshot starts at once, the schedule restarts from it
      if (options.durationMs !== undefined && next > options.durationMs) next = options.durationMs;
      await sleep(next - now, options.signal);
      if (options.signal?.aborted) {
        endedBy = 'signal';
        break;
      }
    }
    const elapsedMs = performance.now() - start;
    if (snapshotStarts.length === 0) throw new RecorderError(`process ${pids.join(', ')} exited before the first snapshot`);
    const intervals = intervalStats(snapshotStarts);
    let summary: TraceSummary;
    try {
      summary = writer.close(closeExtra());
    } catch (error) {
      const code = errorCode(error);
      writer = undefined;
      throw new RecorderError(`cannot write ${options.out}: ${WRITE_ERRORS[code ?? ''] ?? (error as Error).message.split('\n')[0]}${code ? ` (${code})` : ''}`);
    }
    writer = undefined;
    return {
      ...summary,
      endedBy,
      elapsedMs,
      snapshots: snapshotStarts.length,
      bytesRead: recording.bytesRead,
      method,
      intervals,
      snapshotMs: { min: Math.min(...snapshotTimes), median: median(snapshotTimes), max: Math.max(...snapshotTimes) },
      slowSnapshots,
      exited,
    };
  } catch (error) {
    writer?.abort();
    throw error;
  } finally {
    await scanner.close();
    for (const state of states) if (state.pagemapFd >= 0) closeSync(state.pagemapFd);
  }
}

export { formatIntervals };
