/**
 * XBRLE, the 2011 origin patch's format: the XOR of old and new page, run-length encoded as
 * `(runLength u8, byte)` pairs with runs of 1..255 equal XOR bytes, covering the whole page
 * (trailing unchanged bytes included, as the patch's rle_encode did).
 */
import { type Codec, CodecError, checkDecodePage, checkEncodeArgs } from './codec.js';
import { type DeltaAddon, deltaAddon } from './native.js';
import { type DeltaWasmKernels, deltaWasmKernels, WASM_MAX_PAGE } from './wasm/kernels.js';
import type { DeltaKernel } from './xbzrle.js';
import { WordView } from './words.js';

const MAX_RUN = 255;

export class XbrleCodec implements Codec {
  readonly name = 'xbrle';
  readonly description = 'the 2011 patch: XOR delta, byte-wise (count u8, byte) run-length pairs';
  readonly kind = 'delta' as const;
  readonly maxPageSize = 1 << 30;
  private readonly oldWords = new WordView();
  private readonly curWords = new WordView();
  private readonly wasm: DeltaWasmKernels | null;
  private readonly addon: DeltaAddon | null;
  /** The encoder in use: the WebAssembly kernel (default where available) or TypeScript. */
  readonly kernel: DeltaKernel;

  /**
   * `kernel`: 'wasm' (default where available) or 'js'. `native` (default true): every page is
   * encoded by the project's native addon, when it was built (without it, kernel-visible pages
   * are encoded in place by the WebAssembly kernel and others copied into it). With kernel
   * 'js' neither is used.
   */
  constructor(options: { kernel?: DeltaKernel; native?: boolean } = {}) {
    this.wasm = options.kernel === 'js' ? null : deltaWasmKernels();
    if (options.kernel === 'wasm' && this.wasm === null) throw new Error('xbrle: the WebAssembly SIMD kernel is not available here');
    this.kernel = this.wasm === null ? 'js' : 'wasm';
    this.addon = options.kernel === 'js' || options.native === false ? null : deltaAddon;
  }

  /** Where pages that are not kernel-visible are encoded. */
  get ordinaryPagePath(): 'native addon' | 'wasm copy' | 'js' {
    return this.addon !== null ? 'native addon' : this.wasm !== null ? 'wasm copy' : 'js';
  }

  /** Where kernel-visible pages (from allocatePages) are encoded. */
  get kernelVisiblePagePath(): 'native addon' | 'wasm in place' | 'js' {
    return this.addon !== null ? 'native addon' : this.wasm !== null ? 'wasm in place' : 'js';
  }

  encode(old: Uint8Array | null, cur: Uint8Array, out: Uint8Array): number {
    checkEncodeArgs(this, old, cur, out);
    const prev = old as Uint8Array;
    if (this.addon !== null) {
      // Every page natively, kernel-visible ones included: the addon's SSE2 encoder beat the
      // WebAssembly kernel working in place by 10-25% a page, before its calls were fast calls.
      const encoded = this.addon.xbrleEncode(prev, cur, out);
      if (encoded === -2) throw new CodecError(this.name, 'the native encoder refused its arguments'); // checked above: unreachable
      return encoded;
    }
    if (this.wasm !== null && cur.length <= WASM_MAX_PAGE) return this.wasm.xbrleEncode(prev, cur, out);
    return this.encodeJs(prev, cur, out);
  }

  /** The TypeScript encoder: the reference the WebAssembly kernel must match byte for byte. */
  private encodeJs(prev: Uint8Array, cur: Uint8Array, out: Uint8Array): number {
    const length = cur.length;
    const limit = out.length;
    // Unchanged stretches are skipped 8 bytes at a time (see WordView.of64).
    const longsOld = this.oldWords.of64(prev);
    const longsCur = this.curWords.of64(cur);
    const longScan = longsOld !== null && longsCur !== null;
    const longBaseOld = prev.byteOffset >>> 3;
    const longBaseCur = cur.byteOffset >>> 3;
    const longLimit = length >>> 3;
    let i = 0;
    let written = 0;
    while (i < length) {
      const value = prev[i]! ^ cur[i]!;
      let end = i + 1;
      if (value === 0) {
        // Unchanged bytes: find the whole run fast, then emit it in chunks of 255.
        if (longScan) {
          while (end < length && (end & 7) !== 0 && prev[end] === cur[end]) end++;
          if ((end & 7) === 0) {
            let word = end >>> 3;
            while (word < longLimit && longsOld![longBaseOld + word] === longsCur![longBaseCur + word]) word++;
            end = word << 3;
            while (end < length && prev[end] === cur[end]) end++;
          }
        } else {
          while (end < length && prev[end] === cur[end]) end++;
        }
        if (i === 0 && end === length) return 0; // identical pages
        let run = end - i;
        const pairs = Math.ceil(run / MAX_RUN);
        if (written + 2 * pairs > limit) return -1;
        while (run > 0) {
          const chunk = run > MAX_RUN ? MAX_RUN : run;
          out[written++] = chunk;
          out[written++] = 0;
          run -= chunk;
        }
      } else {
        const runEnd = i + MAX_RUN < length ? i + MAX_RUN : length;
        while (end < runEnd && (prev[end]! ^ cur[end]!) === value) end++;
        if (written + 2 > limit) return -1;
        out[written++] = end - i;
        out[written++] = value;
      }
      i = end;
    }
    return written;
  }

  decode(encoded: Uint8Array, page: Uint8Array): void {
    checkDecodePage(this, page, encoded);
    const inputLength = encoded.length;
    if (inputLength === 0) throw this.corrupt('empty input');
    if ((inputLength & 1) !== 0) throw this.corrupt(`odd length ${inputLength}: input is (count, byte) pairs`);
    // Validate first so a corrupt delta leaves the page untouched.
    let covered = 0;
    for (let s = 0; s < inputLength; s += 2) {
      const run = encoded[s]!;
      if (run === 0) throw this.corrupt(`zero run count at byte ${s}`);
      covered += run;
      if (covered > page.length) throw this.corrupt(`runs cover more than the ${page.length}-byte page (at byte ${s})`);
    }
    if (covered !== page.length) throw this.corrupt(`runs cover ${covered} bytes, the page has ${page.length}`);
    let d = 0;
    for (let s = 0; s < inputLength; s += 2) {
      const run = encoded[s]!;
      const value = encoded[s + 1]!;
      if (value === 0) {
        d += run;
      } else {
        for (const end = d + run; d < end; d++) page[d] ^= value;
      }
    }
  }

  private corrupt(message: string): CodecError {
    return new CodecError(this.name, `corrupt delta: ${message}`);
  }
}
