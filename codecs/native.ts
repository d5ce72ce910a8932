/**
 * The native code, loaded once: the two compression libraries (CommonJS packages: `lz4`
 * builds its addon on install with node-gyp, `snappy` ships a prebuilt N-API binary) and the
 * project's own addon of delta kernels, when it was built.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

interface Lz4Module {
  /** LZ4_compress_default(src, dst): compressed size, 0 when it does not fit in `dst`. */
  encodeBlock(src: Uint8Array, dst: Uint8Array): number;
  /** LZ4_decompress_safe(src, dst): decoded size, negative on corrupt input. */
  decodeBlock(src: Uint8Array, dst: Uint8Array): number;
  encodeBound(size: number): number;
}

interface SnappyModule {
  compressSync(input: Uint8Array, options: { copyOutputData: boolean }): Uint8Array;
  uncompressSync(input: Uint8Array, options: { asBuffer: true; copyOutputData: boolean }): Uint8Array;
}

export const lz4 = require('lz4') as Lz4Module;
export const snappy = require('snappy') as SnappyModule;

/** The native addon object behind `lz4.encodeBlock`, to prove the C encoder is in use. */
export function lz4NativeAddon(): { compress: unknown; uncompress: unknown } {
  return require('lz4/build/Release/lz4.node') as { compress: unknown; uncompress: unknown };
}

/** The package's pure-JavaScript block codec: an independent LZ4 implementation for cross-checks. */
export function lz4JavaScriptBlock(): {
  compress(src: Uint8Array, dst: Uint8Array): number;
  uncompress(src: Uint8Array, dst: Uint8Array): number;
} {
  return require('lz4/lib/binding') as ReturnType<typeof lz4JavaScriptBlock>;
}

// snappy's default output path hands V8 external memory that is never reclaimed: always copy.
export const SNAPPY_ENCODE = { copyOutputData: true } as const;
export const SNAPPY_DECODE = { asBuffer: true, copyOutputData: true } as const;

/** The project's own native addon (codecs/addon, built by `npm install` from binding.gyp). */
export interface DeltaAddon {
  /** XBZRLE encode of two equal-length Uint8Arrays into `out`: bytes written, 0 identical, -1 does not fit, -2 bad arguments. */
  xbzrleEncode(old: Uint8Array, cur: Uint8Array, out: Uint8Array): number;
  /** XBRLE encode, the same returns as xbzrleEncode. */
  xbrleEncode(old: Uint8Array, cur: Uint8Array, out: Uint8Array): number;
  /** What the XBRLE encoder was compiled with: 'sse2' (16-byte compares) or 'none' (the word-at-a-time C kernel). */
  readonly simd: string;
  /** Applies an XBZRLE delta to `page` in place: 1 applied, 0 corrupt (page untouched), -2 bad arguments. */
  xbzrleDecode(encoded: Uint8Array, page: Uint8Array): number;
  /**
   * Applies a trace record's XOR+LZ4 entries (codecs/addon/xor-lz4-apply.h): `jobs` holds 4
   * int32s a job (block start in `payload`, block length, index into `chunks`, entry index),
   * `offsets` each job's page byte offset in its chunk; `changed[entry]` (when not null) gets
   * the non-zero delta bytes; pages are written only when `apply`. Returns -1 when every job
   * was applied, k >= 0 when job k's block is not valid LZ4 of one page (jobs before it
   * applied), -2 on bad arguments.
   */
  xorLz4Epoch(
    payload: Uint8Array,
    jobs: Int32Array,
    offsets: Float64Array,
    count: number,
    chunks: Uint8Array[],
    pageSize: number,
    changed: Int32Array | null,
    apply: boolean,
  ): number;
  /**
   * Parses an epoch record's `entries` entries into pages/kinds/dataAt/dataSize by the trace
   * reader's rules and queues each XOR+LZ4 block of at most `maxBlock` bytes as a job for
   * xorLz4Epoch (trace page p is guest page g = p + pageBase: chunk `g >> chunkShift`, offset
   * `(g & mask) * pageSize`; chunk 0 and offset 0 when chunkShift is -1). With `counts` (a
   * slot for every page below `pageLimit`), a record parsed here has each entry's page counted
   * there. Returns the jobs queued, -1 when the record is left to the reader's own parser (a
   * fault, or a varint over 5 bytes; nothing counted), -2 on bad arguments.
   */
  xorLz4Record(
    payload: Uint8Array,
    entries: number,
    pageLimit: number,
    pageSize: number,
    maxBlock: number,
    pages: Float64Array,
    kinds: Uint8Array,
    dataAt: Int32Array,
    dataSize: Int32Array,
    jobs: Int32Array,
    offsets: Float64Array,
    chunkShift: number,
    pageBase: number,
    counts?: Uint32Array | null,
  ): number;
  /**
   * The threads xorLz4Epoch uses: 2 (a record of many jobs is split with a helper thread, which
   * only decodes; the pages are written by the calling thread) or 1. `threads` (1 or 2) sets
   * it first; 1 is returned when the helper thread cannot be started.
   */
  xorLz4Threads(threads?: number): number;
  /**
   * Asks the kernel to back the 2 MiB-aligned interior of `bytes`' memory with transparent
   * huge pages (madvise MADV_HUGEPAGE); returns the bytes advised (0: too small, or refused).
   */
  adviseHugePages(bytes: Uint8Array): number;
  /**
   * zlib's CRC-32 of `bytes` continuing from `previous` (0 to start; an unsigned 32-bit
   * value), folded with carry-less multiplies where the CPU has them (crc32-clmul.h); -2 on
   * bad arguments.
   */
  crc32(bytes: Uint8Array, previous: number): number;
  /** Whether crc32 uses carry-less multiplies (false: the byte table). */
  readonly crc32Clmul: boolean;
}

const ADDON_FILE = 'build/Release/pagedelta_kernels.node';
const FAST_CALLS_FILE = 'build/Release/pagedelta_fast_calls.node';

/** The per-page codec calls registered as V8 fast API calls (codecs/addon/fast-calls.cc). */
export interface FastCallsAddon extends Pick<DeltaAddon, 'xbzrleEncode' | 'xbrleEncode' | 'xbzrleDecode'> {
  /** Whether V8 was given the functions' C signatures (false on a V8 the declarations do not fit). */
  readonly fastCalls: boolean;
  /** Calls that took the fast path so far (only optimised code takes it). */
  fastCallCount(): number;
}

/** The first of `build/Release/<file>` found from the sources (codecs/) or the build (dist/codecs/). */
function builtFile(file: string): string | null {
  for (const relative of [`../${file}`, `../../${file}`]) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  return null;
}

/** The fast-call module when it was built and V8 took the signatures, or why not. */
function loadFastCalls(): { fast: FastCallsAddon | null; status: string } {
  const path = builtFile(FAST_CALLS_FILE);
  if (path === null) return { fast: null, status: 'Node-API calls (V8 fast API calls not built)' };
  try {
    const fast = require(path) as FastCallsAddon;
    if (fast.fastCalls !== true) return { fast: null, status: `Node-API calls (V8 ${process.versions.v8} is not the V8 the fast-call declarations fit)` };
    return { fast, status: 'V8 fast API calls' };
  } catch (error) {
    return { fast: null, status: `Node-API calls (fast calls not loadable: ${(error as Error).message.split('\n')[0]})` };
  }
}

function loadDeltaAddon(): { addon: DeltaAddon | null; fast: FastCallsAddon | null; status: string } {
  const path = builtFile(ADDON_FILE);
  if (path === null) return { addon: null, fast: null, status: `native addon not built (${ADDON_FILE} missing: npm install builds it with node-gyp and C and C++ compilers)` };
  let addon: DeltaAddon;
  try {
    addon = require(path) as DeltaAddon;
  } catch (error) {
    return { addon: null, fast: null, status: `native addon not loadable: ${(error as Error).message.split('\n')[0]}` };
  }
  // An addon built before xbrleEncode, xorLz4Threads, xorLz4Record or crc32 existed (a stale build/) is not used: npm install rebuilds it.
  if (typeof addon.xbrleEncode !== 'function' || typeof addon.xorLz4Threads !== 'function' || typeof addon.xorLz4Record !== 'function' || typeof addon.crc32 !== 'function') return { addon: null, fast: null, status: `native addon out of date (${ADDON_FILE}: npm install rebuilds it)` };
  const { fast, status: calls } = loadFastCalls();
  // The per-page calls through the fast-call module where it works: the same results without
  // Node-API's per-call path (fast-calls.cc says why that matters after cold page stores).
  if (fast !== null) addon = { ...addon, xbzrleEncode: fast.xbzrleEncode, xbrleEncode: fast.xbrleEncode, xbzrleDecode: fast.xbzrleDecode };
  return { addon, fast, status: `native addon (${ADDON_FILE}, XBRLE encoder ${addon.simd === 'none' ? 'word-at-a-time' : addon.simd}, ${calls})` };
}

const loadedAddon = loadDeltaAddon();

/** The native delta kernels, or null where the addon was not built. */
export const deltaAddon: DeltaAddon | null = loadedAddon.addon;

/** The fast-call module behind deltaAddon's per-page calls, or null where they are Node-API calls. */
export const deltaFastCalls: FastCallsAddon | null = loadedAddon.fast;

/** Which native delta kernels are in use, or why none. */
export const deltaAddonStatus: string = loadedAddon.status;
