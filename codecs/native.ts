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

function loadDeltaAddon(): { addon: DeltaAddon | null; status: string } {
  // From the sources (codecs/) or the build (dist/codecs/): the addon is built at the package root.
  for (const relative of [`../${ADDON_FILE}`, `../../${ADDON_FILE}`]) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (!existsSync(path)) continue;
    try {
      const addon = require(path) as DeltaAddon;
      // An addon built before xbrleEncode, xorLz4Threads, xorLz4Record or crc32 existed (a stale build/) is not used: npm install rebuilds it.
      if (typeof addon.xbrleEncode !== 'function' || typeof addon.xorLz4Threads !== 'function' || typeof addon.xorLz4Record !== 'function' || typeof addon.crc32 !== 'function') return { addon: null, status: `native addon out of date (${ADDON_FILE}: npm install rebuilds it)` };
      return { addon, status: `native addon (${ADDON_FILE}, XBRLE encoder ${addon.simd === 'none' ? 'word-at-a-time' : addon.simd})` };
    } catch (error) {
      return { addon: null, status: `native addon not loadable: ${(error as Error).message.split('\n')[0]}` };
    }
  }
  return { addon: null, status: `native addon not built (${ADDON_FILE} missing: npm install builds it with node-gyp and a C compiler)` };
}

const loadedAddon = loadDeltaAddon();

/** The native delta kernels, or null where the addon was not built. */
export const deltaAddon: DeltaAddon | null = loadedAddon.addon;

/** Which native delta kernels are in use, or why none. */
export const deltaAddonStatus: string = loadedAddon.status;
