/**
 * The WebAssembly SIMD page-delta kernels (codecs/wasm/delta-kernels.wat): the XBZRLE encoder
 * and decoder and the XBRLE encoder. Plain JavaScript compares at most 8 bytes per step and
 * pays about 3 ns per byte in byte loops on this machine class; the kernels compare 16 bytes
 * per step.
 *
 * The module imports its memory: one instance per page arena (codecs/page-memory.ts). A page
 * that lives in an arena is worked on in place; a page from anywhere else is copied into the
 * scratch space at the start of the arena of the other page (or of a small scratch-only
 * arena), and the encoded bytes are copied out unless `out` is in the same arena. Output is
 * identical to the TypeScript encoders (checked by the tests), which stay as the reference.
 *
 * Scratch layout of every arena: old page at 0, new page at 16384, encode output at 32768
 * (32 KiB), decode input at 65536 (32 KiB), a page being decoded at 98304 (16 KiB), the
 * decoder's sink word at 114688.
 */
import { arenaOf, type PageArena, scratchArena } from '../page-memory.js';
import { byteOffsetOf } from '../view-fields.js';
import { DELTA_KERNELS_WASM_BASE64 } from './delta-kernels-binary.js';

// The ES2022 lib has no WebAssembly types (they live in the DOM lib): the little we use.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

const OLD_AT = 0;
const CUR_AT = 16384;
const OUT_AT = 32768;
const IN_AT = 65536;
const PAGE_AT = 98304;
/** Largest page the scratch layout holds. */
export const WASM_MAX_PAGE = 16384;
/** Largest encoded input the XBZRLE decoder takes through the scratch space. */
export const WASM_MAX_INPUT = 32768;
/** Encodings at most this long are copied out byte by byte (cheaper than a set() call). */
const SMALL_COPY = 48;

type EncodeExport = (old: number, cur: number, out: number, length: number, limit: number) => number;
type DecodeExport = (page: number, pageLength: number, input: number, inputLength: number) => number;

interface ArenaKernels {
  xbzrleEncode: EncodeExport;
  xbzrleDecode: DecodeExport;
  xbrleEncode: EncodeExport;
  /** Views of the output region by length, made once each, so copying out never allocates. */
  outputViews: Array<Uint8Array | undefined>;
  /** Views of the scratch page region by length. */
  pageViews: Array<Uint8Array | undefined>;
}

let compiled: object | null = null;

function kernelsOf(arena: PageArena): ArenaKernels {
  if (arena.kernels !== null) return arena.kernels as ArenaKernels;
  compiled ??= new WebAssembly.Module(Buffer.from(DELTA_KERNELS_WASM_BASE64, 'base64'));
  const exports = new WebAssembly.Instance(compiled, { env: { memory: arena.memory } }).exports as {
    xbzrle_encode: EncodeExport;
    xbzrle_decode: DecodeExport;
    xbrle_encode: EncodeExport;
  };
  const kernels: ArenaKernels = {
    xbzrleEncode: exports.xbzrle_encode,
    xbzrleDecode: exports.xbzrle_decode,
    xbrleEncode: exports.xbrle_encode,
    outputViews: [],
    pageViews: [],
  };
  arena.kernels = kernels;
  return kernels;
}

/** xbzrleEncodeInPlace: a page is not kernel-visible (nothing was done). */
export const NOT_IN_PLACE = -2;

/** Which kernel to run. */
const XBZRLE = 0;
const XBRLE = 1;

export class DeltaWasmKernels {
  private readonly scratch: PageArena;

  constructor() {
    this.scratch = scratchArena();
    kernelsOf(this.scratch); // compile now, so that a missing SIMD support shows here
  }

  /** XBZRLE encode, same contract as Codec.encode; pages of at most WASM_MAX_PAGE bytes. */
  xbzrleEncode(old: Uint8Array, cur: Uint8Array, out: Uint8Array): number {
    return this.encodeWith(XBZRLE, old, cur, out, false);
  }

  /**
   * xbzrleEncode when both pages are kernel-visible (in one arena); NOT_IN_PLACE, with
   * nothing done, when either would have to be copied in.
   */
  xbzrleEncodeInPlace(old: Uint8Array, cur: Uint8Array, out: Uint8Array): number {
    return this.encodeWith(XBZRLE, old, cur, out, true);
  }

  /** XBRLE encode, same contract as Codec.encode; pages of at most WASM_MAX_PAGE bytes. */
  xbrleEncode(old: Uint8Array, cur: Uint8Array, out: Uint8Array): number {
    return this.encodeWith(XBRLE, old, cur, out, false);
  }

  private encodeWith(which: number, old: Uint8Array, cur: Uint8Array, out: Uint8Array, inPlaceOnly: boolean): number {
    // Each page's arena is a property load (page-memory.ts); its byteOffset is read only where
    // it is used.
    let arena = arenaOf(cur);
    let curAt = CUR_AT;
    let oldAt = OLD_AT;
    if (arena !== null) {
      curAt = byteOffsetOf(cur);
      if (arenaOf(old) === arena) oldAt = byteOffsetOf(old);
      else if (inPlaceOnly) return NOT_IN_PLACE;
      else arena.bytes.set(old, OLD_AT);
    } else {
      if (inPlaceOnly) return NOT_IN_PLACE;
      arena = arenaOf(old);
      if (arena !== null) oldAt = byteOffsetOf(old);
      else {
        arena = this.scratch;
        arena.bytes.set(old, OLD_AT);
      }
      arena.bytes.set(cur, CUR_AT);
    }
    const kernels = (arena.kernels as ArenaKernels | null) ?? kernelsOf(arena);
    const kernel = which === XBZRLE ? kernels.xbzrleEncode : kernels.xbrleEncode;
    // Output in place when `out` lives in the same arena (never the scratch-only one).
    if (arenaOf(out) === arena) return kernel(oldAt, curAt, byteOffsetOf(out), cur.length, out.length);
    const limit = out.length < WASM_MAX_INPUT ? out.length : WASM_MAX_INPUT;
    const encodedBytes = kernel(oldAt, curAt, OUT_AT, cur.length, limit);
    if (encodedBytes > SMALL_COPY) {
      const views = kernels.outputViews;
      out.set(views[encodedBytes] ?? (views[encodedBytes] = arena.bytes.subarray(OUT_AT, OUT_AT + encodedBytes)));
    } else {
      const bytes = arena.bytes;
      for (let k = 0; k < encodedBytes; k++) out[k] = bytes[OUT_AT + k]!;
    }
    return encodedBytes;
  }

  /**
   * Applies the XBZRLE delta `encoded` to a kernel-visible `page` in place: 1 when applied,
   * 0 when the delta is corrupt (the page is then untouched), -1 when the page is not
   * kernel-visible or the delta too long for the scratch space (nothing done).
   */
  xbzrleDecodeInPlace(encoded: Uint8Array, page: Uint8Array): number {
    const arena = arenaOf(page);
    if (arena === null) return -1;
    const kernels = (arena.kernels as ArenaKernels | null) ?? kernelsOf(arena);
    const inputLength = encoded.length;
    let inAt = IN_AT;
    if (arenaOf(encoded) === arena) inAt = byteOffsetOf(encoded);
    else {
      if (inputLength > WASM_MAX_INPUT) return -1;
      arena.bytes.set(encoded, IN_AT);
    }
    return kernels.xbzrleDecode(byteOffsetOf(page), page.length, inAt, inputLength) === 0 ? 1 : 0;
  }

  /**
   * Applies the XBZRLE delta to an ordinary page through the scratch space (page copied in,
   * decoded, copied back): true when applied, false (page untouched) when corrupt.
   * Inputs up to WASM_MAX_INPUT bytes, pages up to WASM_MAX_PAGE.
   */
  xbzrleDecodeCopy(encoded: Uint8Array, page: Uint8Array): boolean {
    const arena = this.scratch;
    const kernels = kernelsOf(arena);
    const bytes = arena.bytes;
    bytes.set(page, PAGE_AT);
    bytes.set(encoded, IN_AT);
    if (kernels.xbzrleDecode(PAGE_AT, page.length, IN_AT, encoded.length) !== 0) return false;
    const length = page.length;
    const views = kernels.pageViews;
    page.set(views[length] ?? (views[length] = bytes.subarray(PAGE_AT, PAGE_AT + length)));
    return true;
  }
}

let shared: DeltaWasmKernels | null | undefined;

/** The process-wide kernels, or null where WebAssembly SIMD is unavailable. */
export function deltaWasmKernels(): DeltaWasmKernels | null {
  if (shared === undefined) {
    try {
      shared = new DeltaWasmKernels();
    } catch {
      shared = null;
    }
  }
  return shared;
}
