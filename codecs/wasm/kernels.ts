/**
 * The WebAssembly SIMD page-delta kernels (codecs/wasm/delta-kernels.wat): the XBZRLE encoder
 * and decoder and the XBRLE encoder. Plain JavaScript compares at most 8 bytes per step and
 * pays about 3 ns per byte in byte loops on this machine class; the kernels compare 16 bytes
 * per step and copy with memory.copy. Pages are copied into the module's memory (old at 0,
 * new at 16384) and the result copied out. Output is identical to the TypeScript encoders
 * (checked by the tests), which stay as the reference and the fallback.
 */
import { DELTA_KERNELS_WASM_BASE64 } from './delta-kernels-binary.js';

// The ES2022 lib has no WebAssembly types (they live in the DOM lib): the little we use.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

const OLD_AT = 0;
const NEW_AT = 16384;
const OUT_AT = 32768;
/** Largest page the kernels' memory layout holds. */
export const WASM_MAX_PAGE = 16384;
/** Largest encoded input the XBZRLE decoder takes (the rest of the memory). */
export const WASM_MAX_INPUT = 32768;

type EncodeExport = (length: number, limit: number) => number;

export class DeltaWasmKernels {
  private readonly xbzrleEncodeExport: EncodeExport;
  private readonly xbzrleDecodeExport: (pageLength: number, inputLength: number) => number;
  private readonly xbrleEncodeExport: EncodeExport;
  private readonly bytes: Uint8Array;
  /** Views of the output region by length, made once each, so copying out never allocates. */
  private readonly outputViews: Array<Uint8Array | undefined> = [];
  /** Views of the page region by length, for copying a decoded page out. */
  private readonly pageViews: Array<Uint8Array | undefined> = [];

  constructor() {
    const module = new WebAssembly.Module(Buffer.from(DELTA_KERNELS_WASM_BASE64, 'base64'));
    const exports = new WebAssembly.Instance(module, {}).exports as {
      memory: { buffer: ArrayBuffer };
      xbzrle_encode: EncodeExport;
      xbzrle_decode: (pageLength: number, inputLength: number) => number;
      xbrle_encode: EncodeExport;
    };
    this.xbzrleEncodeExport = exports.xbzrle_encode;
    this.xbzrleDecodeExport = exports.xbzrle_decode;
    this.xbrleEncodeExport = exports.xbrle_encode;
    this.bytes = new Uint8Array(exports.memory.buffer);
  }

  /** XBZRLE encode, same contract as Codec.encode; pages of at most WASM_MAX_PAGE bytes. */
  xbzrleEncode(old: Uint8Array, cur: Uint8Array, out: Uint8Array): number {
    return this.encodeWith(this.xbzrleEncodeExport, old, cur, out);
  }

  /** XBRLE encode, same contract as Codec.encode; pages of at most WASM_MAX_PAGE bytes. */
  xbrleEncode(old: Uint8Array, cur: Uint8Array, out: Uint8Array): number {
    return this.encodeWith(this.xbrleEncodeExport, old, cur, out);
  }

  private encodeWith(kernel: EncodeExport, old: Uint8Array, cur: Uint8Array, out: Uint8Array): number {
    const bytes = this.bytes;
    bytes.set(old, OLD_AT);
    bytes.set(cur, NEW_AT);
    const limit = out.length < OUT_AT ? out.length : OUT_AT;
    const encodedBytes = kernel(cur.length, limit);
    if (encodedBytes > 0) {
      const view = this.outputViews[encodedBytes] ?? (this.outputViews[encodedBytes] = bytes.subarray(OUT_AT, OUT_AT + encodedBytes));
      out.set(view);
    }
    return encodedBytes;
  }

  /**
   * Applies the XBZRLE delta `encoded` to `page` in place when it is valid and returns true;
   * returns false (page untouched) when it is corrupt. Inputs up to WASM_MAX_INPUT bytes.
   */
  xbzrleDecode(encoded: Uint8Array, page: Uint8Array): boolean {
    const bytes = this.bytes;
    bytes.set(page, OLD_AT);
    bytes.set(encoded, OUT_AT);
    if (this.xbzrleDecodeExport(page.length, encoded.length) !== 0) return false;
    const length = page.length;
    page.set(this.pageViews[length] ?? (this.pageViews[length] = bytes.subarray(OLD_AT, OLD_AT + length)));
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
