/**
 * Constants and small codecs of the pagedelta trace format (docs/trace-format.md): the
 * preamble, record framing, varints, CRC-32 and the error type.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { deltaAddon } from '../../codecs/native.js';

/** `\x89PDTR\r\n\x1a`: a high byte, the name, and CR LF / EOF bytes that text-mode copies mangle. */
export const TRACE_MAGIC = Uint8Array.from([0x89, 0x50, 0x44, 0x54, 0x52, 0x0d, 0x0a, 0x1a]);
export const TRACE_VERSION = 1;
export const PREAMBLE_BYTES = 48;
export const RECORD_HEADER_BYTES = 6;
export const RECORD_CRC_BYTES = 4;
/** A record larger than this is corrupt (writers stay far below: 1024 pages per epoch record). */
export const MAX_RECORD_PAYLOAD = 1 << 28;
/** Header JSON larger than this is corrupt. */
export const MAX_HEADER_JSON = 1 << 24;

export const KIND_CONTENT = 1;
export const KIND_ACCESS = 2;
export type TraceKind = 'content' | 'access';

export const FLAG_COMPLETE = 1;

export const RECORD_EPOCH = 0x45; // 'E'
export const RECORD_REGION = 0x52; // 'R'
export const RECORD_ACCESS = 0x41; // 'A'
export const RECORD_END = 0x5a; // 'Z'
/** Epoch record flag: more records with the same timestamp belong to this epoch. */
export const EPOCH_CONTINUED = 1;

/** Page entry kinds inside an epoch record. */
export const PAGE_ZERO = 0;
export const PAGE_XOR_LZ4 = 1;
export const PAGE_XOR_RAW = 2;
export const PAGE_UNCHANGED = 3;

export const TIME_UNITS = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000 } as const;
export type TimeUnit = keyof typeof TIME_UNITS;

export interface TraceRegion {
  /** First dense page number of the region in the trace. */
  firstPage: number;
  pages: number;
  /** e.g. the mapping's path or `[heap]`. */
  name?: string;
  /** Start address, hex (recorded processes). */
  address?: string;
  perms?: string;
  /** Recordings of several processes: which one (`pid N`). */
  process?: string;
}

export interface TraceHeader {
  format: 'binary' | 'text';
  version: number;
  kind: TraceKind;
  pageSize: number;
  /** Pages numbered 0..pageCount-1 (0 when unknown, e.g. text traces before reading). */
  pageCount: number;
  timeUnit: TimeUnit;
  source: string;
  /** Recorder or generator parameters (interval, pid, workload spec, seed...). */
  recorder: Record<string, unknown>;
  /** Regions known from the start; region records met while reading are appended. */
  regions: TraceRegion[];
  createdAt?: string;
  /** The writer closed the file (end record written). */
  complete: boolean;
  /** Logical epochs (content) or accesses (access kind), from the preamble. */
  epochCount: number;
  recordCount: number;
}

export class TraceError extends Error {
  override name = 'TraceError';
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** Opens a trace file for reading: a TraceError naming the path when it cannot be, or is a directory. */
export function openTraceFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new TraceError(`cannot open trace ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new TraceError(`cannot read trace ${path}: it is a directory`);
  }
  return fd;
}

/**
 * The project's addon computes it with carry-less multiplies (about 3x zlib's table here,
 * where the reader checks every record); without the addon, node's zlib.crc32. The same value.
 */
const nativeCrc32 = deltaAddon?.crc32 ?? null;

/** CRC-32 (zlib's) of `bytes`, continuing from `previous` (0 to start). */
export function checksum(bytes: Uint8Array, previous = 0): number {
  return nativeCrc32 !== null ? nativeCrc32(bytes, previous) : crc32(bytes, previous) >>> 0;
}

export function hex(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

/** Unsigned LEB128 of a non-negative integer up to 2^53 (arithmetic, not 32-bit shifts). */
export function writeVarint(buffer: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    buffer[offset++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buffer[offset++] = value;
  return offset;
}

export function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** Non-zero bytes of a 32-bit word: the high bit of each byte lane set when the lane is non-zero, then counted by a multiply. */
export function nonZeroBytes(value: number): number {
  const lanes = (((value & 0x7f7f7f7f) + 0x7f7f7f7f) | value) & 0x80808080;
  return Math.imul(lanes >>> 7, 0x01010101) >>> 24;
}
