/**
 * The WebAssembly SIMD XBZRLE encoder (codecs/wasm/xbzrle.wat). Plain JavaScript compares at
 * most 8 bytes per step; the kernel compares 16 and copies changed runs with memory.copy.
 * Pages are copied into the module's memory (old at 0, new at 16384) and the encoding is
 * copied out. Output is identical to the TypeScript encoder (checked by the tests).
 */
import { XBZRLE_WASM_BASE64 } from './xbzrle-binary.js';

// The ES2022 lib has no WebAssembly types (they live in the DOM lib): the little we use.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

const OLD_AT = 0;
const NEW_AT = 16384;
const OUT_AT = 32768;
/** Largest page the kernel's memory layout holds. */
export const WASM_MAX_PAGE = 16384;

export class XbzrleWasmKernel {
  private readonly encodeExport: (length: number, limit: number) => number;
  private readonly decodeExport: (pageLength: number, inputLength: number) => number;
  /** Views of the page region by length, for copying a decoded page out without allocating. */
  private readonly pageViews: Array<Uint8Array | undefined> = [];
  private readonly bytes: Uint8Array;
  /** Views of the output region by length, made once each, so copying out never allocates. */
  private readonly outputViews: Array<Uint8Array | undefined> = [];

  constructor() {
    const module = new WebAssembly.Module(Buffer.from(XBZRLE_WASM_BASE64, 'base64'));
    const instance = new WebAssembly.Instance(module, {});
    const exports = instance.exports as {
      memory: { buffer: ArrayBuffer };
      encode: (length: number, limit: number) => number;
      decode: (pageLength: number, inputLength: number) => number;
    };
    this.encodeExport = exports.encode;
    this.decodeExport = exports.decode;
    this.bytes = new Uint8Array(exports.memory.buffer);
  }

  /** Same contract as Codec.encode; pages must be at most WASM_MAX_PAGE bytes. */
  encode(old: Uint8Array, cur: Uint8Array, out: Uint8Array): number {
    const bytes = this.bytes;
    bytes.set(old, OLD_AT);
    bytes.set(cur, NEW_AT);
    const limit = out.length < OUT_AT ? out.length : OUT_AT;
    const encodedBytes = this.encodeExport(cur.length, limit);
    if (encodedBytes > 0) {
      const view = this.outputViews[encodedBytes] ?? (this.outputViews[encodedBytes] = bytes.subarray(OUT_AT, OUT_AT + encodedBytes));
      out.set(view);
    }
    return encodedBytes;
  }

  /**
   * Applies `encoded` to `page` in place when it is a valid delta and returns true; returns
   * false (page untouched) when it is corrupt. Inputs up to WASM_MAX_INPUT bytes.
   */
  decode(encoded: Uint8Array, page: Uint8Array): boolean {
    const bytes = this.bytes;
    bytes.set(page, OLD_AT);
    bytes.set(encoded, OUT_AT);
    if (this.decodeExport(page.length, encoded.length) !== 0) return false;
    const length = page.length;
    page.set(this.pageViews[length] ?? (this.pageViews[length] = bytes.subarray(OLD_AT, OLD_AT + length)));
    return true;
  }
}

/** Largest encoded input the kernel's decoder takes (the rest of its memory). */
export const WASM_MAX_INPUT = 32768;

let shared: XbzrleWasmKernel | null | undefined;

/** The process-wide kernel, or null where WebAssembly SIMD is unavailable. */
export function xbzrleWasmKernel(): XbzrleWasmKernel | null {
  if (shared === undefined) {
    try {
      shared = new XbzrleWasmKernel();
    } catch {
      shared = null;
    }
  }
  return shared;
}
