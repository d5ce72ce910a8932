/**
 * Records a running Linux process as a content trace: every interval it reads the
 * process's writable mappings (/proc/PID/maps) and their bytes (/proc/PID/mem), and writes an
 * epoch of every page whose bytes changed since the previous snapshot. This is content
 * dirtiness: a page the process wrote with the same bytes is clean here (the kernel's
 * soft-dirty bits would call it dirty, but these kernels have none, and content is what a
 * delta codec sees). The first epoch holds every non-zero page (the initial image).
 *
 * Virtual addresses are sparse, so pages get dense trace numbers: each writable address
 * range gets a region (recorded in the trace) the first time it is seen; a mapping that
 * grows gets a new region for the new part; a mapping that vanishes keeps its region (its
 * pages simply stop changing), and one that reappears at the same address reuses it.
 * Snapshots are not atomic: the process keeps running while it is read.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { type TraceSummary, TraceWriter } from './writer.js';

export const RECORD_PAGE_SIZE = 4096;

export class RecorderError extends Error {
  override name = 'RecorderError';
}

export interface Mapping {
  start: number;
  end: number;
  perms: string;
  name: string;
}

interface Region {
  start: number;
  end: number;
  firstPage: number;
}

/** Parses /proc/PID/maps text into the readable, writable mappings worth recording. */
export function parseMaps(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (!match) continue;
    const perms = match[3]!;
    const name = match[4]!.trim();
    if (perms[0] !== 'r' || perms[1] !== 'w') continue;
    if (name === '[vvar]' || name === '[vvar_vclock]' || name === '[vsyscall]') continue;
    const start = Number.parseInt(match[1]!, 16);
    const end = Number.parseInt(match[2]!, 16);
    if (!(end > start) || end > Number.MAX_SAFE_INTEGER) continue;
    mappings.push({ start, end, perms, name });
  }
  return mappings;
}

export interface RecordOptions {
  pid: number;
  out: string;
  /** Snapshot interval (default 100 ms). */
  intervalMs?: number;
  /** Stop after this long (default: when the process exits or `signal` aborts). */
  durationMs?: number;
  signal?: AbortSignal;
  /** Shown in the header's source (e.g. the command started for the recording). */
  description?: string;
  onProgress?: (message: string) => void;
}

export interface RecordResult extends TraceSummary {
  /** Why recording stopped. */
  endedBy: 'duration' | 'exit' | 'signal';
  elapsedMs: number;
  snapshots: number;
  /** Bytes read from the process over all snapshots. */
  bytesRead: number;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // state is the field after the parenthesised command name
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** Opens /proc/PID/mem, turning permission and existence errors into one clear line. */
function openMemory(pid: number): number {
  if (!Number.isInteger(pid) || pid < 1) throw new RecorderError(`--pid must be a positive integer, got ${pid}`);
  try {
    readFileSync(`/proc/${pid}/stat`);
  } catch {
    throw new RecorderError(`no process with pid ${pid}`);
  }
  try {
    return openSync(`/proc/${pid}/mem`, 'r');
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

const READ_BLOCK = 4 << 20;

class ProcessRecorder {
  private readonly regions: Region[] = [];
  private nextPage = 0;
  private readonly block = new Uint8Array(READ_BLOCK);
  bytesRead = 0;
  exited = false;

  /** Open per snapshot: a /proc/PID/mem descriptor keeps the address space it was opened on, so after an exec it reads nothing. */
  private fd = -1;

  constructor(
    private readonly pid: number,
    private readonly writer: TraceWriter,
  ) {}

  /** Dense page number pieces for [start, end), creating regions for unseen parts. */
  private pieces(mapping: Mapping): { address: number; firstPage: number; pages: number }[] {
    const pieces: { address: number; firstPage: number; pages: number }[] = [];
    let cursor = mapping.start;
    const overlapping = this.regions.filter((region) => region.end > mapping.start && region.start < mapping.end).sort((a, b) => a.start - b.start);
    const addGap = (from: number, to: number): void => {
      if (to <= from) return;
      const region: Region = { start: from, end: to, firstPage: this.nextPage };
      const pages = (to - from) / RECORD_PAGE_SIZE;
      this.nextPage += pages;
      this.regions.push(region);
      this.writer.addRegion({ firstPage: region.firstPage, pages, name: mapping.name || '[anon]', address: `0x${from.toString(16)}`, perms: mapping.perms });
      pieces.push({ address: from, firstPage: region.firstPage, pages });
    };
    for (const region of overlapping) {
      addGap(cursor, Math.max(cursor, region.start));
      const from = Math.max(mapping.start, region.start, cursor);
      const to = Math.min(mapping.end, region.end);
      if (to > from) pieces.push({ address: from, firstPage: region.firstPage + (from - region.start) / RECORD_PAGE_SIZE, pages: (to - from) / RECORD_PAGE_SIZE });
      cursor = Math.max(cursor, to);
    }
    addGap(cursor, mapping.end);
    return pieces;
  }

  /** Reads `length` bytes at `address` into the block; returns bytes read (0 on I/O error). */
  private read(address: number, length: number): number {
    let done = 0;
    while (done < length) {
      let got: number;
      try {
        got = readSync(this.fd, this.block, done, length - done, address + done);
      } catch (error) {
        const code = errorCode(error);
        if (code === 'EIO' || code === 'EFAULT' || code === 'ENOMEM' || code === 'ESRCH') return done;
        throw error;
      }
      if (got === 0) return done;
      done += got;
    }
    return done;
  }

  /** One snapshot as one epoch; returns false if the process is gone. */
  snapshot(timeMs: number): boolean {
    let mapsText: string;
    try {
      mapsText = readFileSync(`/proc/${this.pid}/maps`, 'latin1');
    } catch {
      this.exited = true;
      return false;
    }
    const mappings = parseMaps(mapsText);
    if (mappings.length === 0 && processGone(this.pid)) {
      this.exited = true;
      return false;
    }
    try {
      this.fd = openSync(`/proc/${this.pid}/mem`, 'r');
    } catch {
      this.exited = true;
      return false;
    }
    this.writer.beginEpoch(timeMs);
    try {
      for (const mapping of mappings) {
        for (const piece of this.pieces(mapping)) this.recordPiece(piece.address, piece.firstPage, piece.pages);
      }
    } finally {
      this.writer.endEpoch();
      closeSync(this.fd);
      this.fd = -1;
    }
    return true;
  }

  private recordPiece(address: number, firstPage: number, pages: number): void {
    const blockPages = READ_BLOCK / RECORD_PAGE_SIZE;
    for (let done = 0; done < pages; done += blockPages) {
      const count = Math.min(blockPages, pages - done);
      const at = address + done * RECORD_PAGE_SIZE;
      let got = this.read(at, count * RECORD_PAGE_SIZE);
      this.bytesRead += got;
      const readablePages = Math.floor(got / RECORD_PAGE_SIZE);
      for (let page = 0; page < readablePages; page++) this.writer.writePage(firstPage + done + page, this.block, page * RECORD_PAGE_SIZE);
      // A hole (unreadable page) inside the block: read the rest page by page, skipping holes.
      for (let page = readablePages; page < count; page++) {
        got = this.read(at + page * RECORD_PAGE_SIZE, RECORD_PAGE_SIZE);
        this.bytesRead += got;
        if (got === RECORD_PAGE_SIZE) this.writer.writePage(firstPage + done + page, this.block, 0);
      }
    }
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

/**
 * Records process `pid` into `out` until `durationMs`, its exit or `signal`. The trace is
 * closed validly in every case that reached the first snapshot (an exit mid-recording keeps
 * the epochs recorded); on a failure before that, nothing is left under `out`.
 */
export async function recordProcess(options: RecordOptions): Promise<RecordResult> {
  const intervalMs = options.intervalMs ?? 100;
  if (!(intervalMs > 0)) throw new RecorderError(`--interval must be > 0 ms, got ${intervalMs}`);
  if (options.durationMs !== undefined && !(options.durationMs >= 0)) throw new RecorderError(`--duration must be >= 0, got ${options.durationMs}`);
  // Checks existence and ptrace access before anything is written.
  closeSync(openMemory(options.pid));
  let writer: TraceWriter | undefined;
  try {
    const command = commandLine(options.pid);
    writer = TraceWriter.open(options.out, {
      kind: 'content',
      pageSize: RECORD_PAGE_SIZE,
      timeUnit: 'ms',
      keepUnchanged: false,
      source: options.description ?? `pid ${options.pid}: ${command}`,
      recorder: {
        tool: 'pagedelta trace record',
        pid: options.pid,
        command,
        intervalMs,
        ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
        dirtiness: 'content (pages whose bytes changed between snapshots)',
        host: hostname(),
        kernel: release(),
      },
    });
    const recorder = new ProcessRecorder(options.pid, writer);
    const start = performance.now();
    let snapshots = 0;
    let endedBy: RecordResult['endedBy'] = 'exit';
    let next = 0;
    for (;;) {
      const elapsed = performance.now() - start;
      if (!recorder.snapshot(elapsed)) break;
      snapshots++;
      if (options.onProgress && snapshots % 50 === 0) options.onProgress(`${snapshots} snapshots, ${(elapsed / 1000).toFixed(1)} s`);
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
      if (next < now) next = Math.ceil(now / intervalMs) * intervalMs; // fell behind: skip
      if (options.durationMs !== undefined && next > options.durationMs) next = options.durationMs;
      await sleep(next - now, options.signal);
      if (options.signal?.aborted) {
        endedBy = 'signal';
        break;
      }
    }
    const elapsedMs = performance.now() - start;
    if (snapshots === 0) throw new RecorderError(`process ${options.pid} exited before the first snapshot`);
    const summary = writer.close();
    return { ...summary, endedBy, elapsedMs, snapshots, bytesRead: recorder.bytesRead };
  } catch (error) {
    writer?.abort();
    throw error;
  }
}
