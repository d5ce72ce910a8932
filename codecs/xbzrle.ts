/**
 * XBZRLE, byte-exact with QEMU's wire format (see docs/codecs.md and
 * docs/reference.md). Written from the format description.
 *
 *   page   = zrun nzrun | zrun nzrun page
 *   zrun   = ULEB128 count of unchanged bytes (only the first may be 0)
 *   nzrun  = ULEB128 count of changed bytes (never 0), then the new bytes verbatim
 *
 * Lengths are "small" ULEB128: at most 2 bytes, so at most 0x3fff. The trailing unchanged
 * run is never written. The scans compare 4 bytes at a time where the pages are aligned.
 */
import { type Codec, CodecError, checkDecodePage, checkEncodeArgs } from './codec.js';
import { type DeltaAddon, deltaAddon, deltaFastCalls } from './native.js';
import { type DeltaWasmKernels, deltaWasmKernels, NOT_IN_PLACE, WASM_MAX_INPUT, WASM_MAX_PAGE } from './wasm/kernels.js';
import { WordView } from './words.js';

/**
 * On an ordinary page (not from allocatePages), deltas shorter than this decode faster in
 * TypeScript (they touch few bytes) than in the kernel, whose fixed cost there is copying the
 * page in and out. Kernel-visible pages decode in the kernel at every size.
 */
const WASM_DECODE_MIN_INPUT = 384;

/** Which encoder does the work: the SIMD WebAssembly kernel (default where available) or TypeScript. */
export type DeltaKernel = 'wasm' | 'js';

/** Largest run length a 2-byte ULEB128 can hold. */
export const XBZRLE_MAX_RUN = 0x3fff;

/**
 * Writes `value` (0..0x3fff) as a small ULEB128 at `out[position]`; returns the bytes written
 * (1 or 2), or -1 when it does not fit in `out`. The encoder inlines the same logic.
 */
export function writeUlebSmall(out: Uint8Array, position: number, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > XBZRLE_MAX_RUN) throw new RangeError(`ULEB128 small value out of range: ${value}`);
  if (value < 0x80) {
    if (position + 1 > out.length) return -1;
    out[position] = value;
    return 1;
  }
  if (position + 2 > out.length) return -1;
  out[position] = (value & 0x7f) | 0x80;
  out[position + 1] = value >>> 7;
  return 2;
}

/**
 * Reads a small ULEB128 at `input[position]`: returns [value, bytesRead], or throws a
 * CodecError for a truncated length or one longer than 2 bytes.
 */
export function readUlebSmall(input: Uint8Array, position: number): [value: number, bytesRead: number] {
  if (position >= input.length) throw new CodecError('xbzrle', `corrupt delta: truncated at byte ${position}: length missing`);
  const low = input[position]!;
  if ((low & 0x80) === 0) return [low, 1];
  if (position + 1 >= input.length) throw new CodecError('xbzrle', `corrupt delta: truncated at byte ${position + 1}: second length byte missing`);
  const high = input[position + 1]!;
  if (high & 0x80) throw new CodecError('xbzrle', `corrupt delta: length at byte ${position} is longer than 2 bytes`);
  return [(low & 0x7f) | (high << 7), 2];
}

export class XbzrleCodec implements Codec {
  readonly name = 'xbzrle';
  readonly description = "QEMU's XBZRLE: word-scanned XOR delta, zero runs skipped, changed bytes verbatim";
  readonly kind = 'delta' as const;
  readonly maxPageSize = 16384;
  private readonly oldWords = new WordView();
  private readonly curWords = new WordView();
  private readonly wasm: DeltaWasmKernels | null;
  private readonly addon: DeltaAddon | null;
  /** Every page, kernel-visible ones included, through the addon's fast calls (see constructor). */
  private readonly nativeFirst: boolean;
  /** The encoder in use. */
  readonly kernel: DeltaKernel;

  /**
   * `kernel`: 'wasm' (default where available) or 'js'. `native` (default true): pages that
   * are not kernel-visible go to the project's native addon, when it was built, instead of
   * being copied into the WebAssembly kernels (see codecs/addon). With kernel 'js' neither is used.
   */
  constructor(options: { kernel?: DeltaKernel; native?: boolean } = {}) {
    this.wasm = options.kernel === 'js' ? null : deltaWasmKernels();
    if (options.kernel === 'wasm' && this.wasm === null) throw new Error('xbzrle: the WebAssembly SIMD kernel is not available here');
    this.kernel = this.wasm === null ? 'js' : 'wasm';
    this.addon = options.kernel === 'js' || options.native === false ? null : deltaAddon;
    // With V8 fast calls the addon beat the kernels' in-place path on kernel-visible pages too
    // (codecs bench, alternated, 3 runs: decode SPARSE 0.86-1.04x C against 0.52-0.82x,
    // MEDIUM 0.71-0.84x against 0.44-0.59x; encode within noise), so every page goes there.
    this.nativeFirst = this.addon !== null && deltaFastCalls !== null;
  }

  /** Where pages that are not kernel-visible are encoded and decoded. */
  get ordinaryPagePath(): 'native addon' | 'wasm copy' | 'js' {
    return this.addon !== null ? 'native addon' : this.wasm !== null ? 'wasm copy' : 'js';
  }

  /** Where kernel-visible pages (from allocatePages) are encoded and decoded. */
  get kernelVisiblePagePath(): 'native addon' | 'wasm in place' | 'js' {
    return this.nativeFirst ? 'native addon' : this.wasm !== null ? 'wasm in place' : 'js';
  }

  encode(old: Uint8Array | null, cur: Uint8Array, out: Uint8Array): number {
    checkEncodeArgs(this, old, cur, out);
    const prev = old as Uint8Array;
    if (this.addon !== null) {
      // Without fast calls, kernel-visible pages in place in the kernels; any others (and
      // every page with fast calls) where they are, natively.
      if (!this.nativeFirst && this.wasm !== null && cur.length <= WASM_MAX_PAGE) {
        const inPlace = this.wasm.xbzrleEncodeInPlace(prev, cur, out);
        if (inPlace !== NOT_IN_PLACE) return inPlace;
      }
      const encoded = this.addon.xbzrleEncode(prev, cur, out);
      if (encoded === -2) throw new CodecError(this.name, 'the native encoder refused its arguments'); // checked above: unreachable
      return encoded;
    }
    if (this.wasm !== null && cur.length <= WASM_MAX_PAGE) return this.wasm.xbzrleEncode(prev, cur, out);
    return this.encodeJs(prev, cur, out);
  }

  /** The TypeScript encoder: the reference the WebAssembly kernel must match byte for byte. */
  private encodeJs(prev: Uint8Array, cur: Uint8Array, out: Uint8Array): number {
    const length = cur.length;
    const limit = out.length;
    const wordsOld = this.oldWords.of(prev);
    const wordsCur = this.curWords.of(cur);
    const longsOld = this.oldWords.of64(prev);
    const longsCur = this.curWords.of64(cur);
    const wordScan = wordsOld !== null && wordsCur !== null;
    const longScan = longsOld !== null && longsCur !== null;
    // Word index of byte 0 of each page; byte i lives in word base + (i >> 2) when i is aligned.
    const baseOld = prev.byteOffset >>> 2;
    const baseCur = cur.byteOffset >>> 2;
    const longBaseOld = prev.byteOffset >>> 3;
    const longBaseCur = cur.byteOffset >>> 3;
    const wordEnd = length & ~3;
    const longEnd = length & ~7;
    let i = 0;
    let written = 0;
    while (i < length) {
      // Unchanged run.
      const zeroStart = i;
      if (longScan) {
        while (i < length && (i & 7) !== 0 && prev[i] === cur[i]) i++;
        if ((i & 7) === 0) {
          let word = i >>> 3;
          const wordLimit = longEnd >>> 3;
          while (word < wordLimit && longsOld![longBaseOld + word] === longsCur![longBaseCur + word]) word++;
          i = word << 3;
          while (i < length && prev[i] === cur[i]) i++;
        }
      } else if (wordScan) {
        while (i < length && (i & 3) !== 0 && prev[i] === cur[i]) i++;
        if ((i & 3) === 0) {
          while (i < wordEnd && wordsOld![baseOld + (i >>> 2)] === wordsCur![baseCur + (i >>> 2)]) i += 4;
          while (i < length && prev[i] === cur[i]) i++;
        }
      } else {
        while (i < length && prev[i] === cur[i]) i++;
      }
      if (i === length) break; // the trailing unchanged run is not written
      const zeroRun = i - zeroStart;
      if (zeroRun > XBZRLE_MAX_RUN) return -1;
      if (zeroRun < 0x80) {
        if (written + 1 > limit) return -1;
        out[written++] = zeroRun;
      } else {
        if (written + 2 > limit) return -1;
        out[written++] = (zeroRun & 0x7f) | 0x80;
        out[written++] = zeroRun >>> 7;
      }
      // Changed run: ends at the next equal byte.
      const changedStart = i;
      if (wordScan) {
        while (i < length && (i & 3) !== 0 && prev[i] !== cur[i]) i++;
        if ((i & 3) === 0) {
          while (i < wordEnd) {
            const x = wordsOld![baseOld + (i >>> 2)] ^ wordsCur![baseCur + (i >>> 2)];
            // Stop at a word holding an equal byte (a zero byte of the XOR).
            if (((x - 0x01010101) & ~x & 0x80808080) !== 0) break;
            i += 4;
          }
          while (i < length && prev[i] !== cur[i]) i++;
        }
      } else {
        while (i < length && prev[i] !== cur[i]) i++;
      }
      const changedRun = i - changedStart;
      if (changedRun > XBZRLE_MAX_RUN) return -1;
      const lengthBytes = changedRun < 0x80 ? 1 : 2;
      if (written + lengthBytes + changedRun > limit) return -1;
      if (lengthBytes === 1) {
        out[written++] = changedRun;
      } else {
        out[written++] = (changedRun & 0x7f) | 0x80;
        out[written++] = changedRun >>> 7;
      }
      for (let k = changedStart; k < i; k++) out[written++] = cur[k];
    }
    return written;
  }

  decode(encoded: Uint8Array, page: Uint8Array): void {
    checkDecodePage(this, page, encoded);
    if (this.nativeFirst) {
      const applied = this.addon!.xbzrleDecode(encoded, page);
      if (applied === 1) return;
      this.rejected(encoded, page);
    }
    if (this.wasm !== null && page.length <= WASM_MAX_PAGE) {
      // Kernel-visible page: decoded in place at any size (1 applied, 0 corrupt, -1 not handled).
      const inPlace = this.wasm.xbzrleDecodeInPlace(encoded, page);
      if (inPlace === 1) return;
      if (inPlace === 0) this.rejected(encoded, page);
      if (this.addon !== null) {
        const applied = this.addon.xbzrleDecode(encoded, page);
        if (applied === 1) return;
        this.rejected(encoded, page);
      }
      if (inPlace === -1 && encoded.length >= WASM_DECODE_MIN_INPUT && encoded.length <= WASM_MAX_INPUT) {
        if (this.wasm.xbzrleDecodeCopy(encoded, page)) return;
        this.rejected(encoded, page);
      }
    }
    // Validate the whole delta first so that a corrupt one leaves the page untouched.
    this.walk(encoded, page, false);
    this.walk(encoded, page, true);
  }

  /** Parses `encoded` against a page of `page.length` bytes; copies the new bytes when `apply`. */
  private walk(encoded: Uint8Array, page: Uint8Array, apply: boolean): void {
    const pageLength = page.length;
    const inputLength = encoded.length;
    let s = 0;
    let d = 0;
    while (s < inputLength) {
      if (inputLength - s < 2) throw this.corrupt(`truncated at byte ${s}: a run pair needs at least 2 bytes`);
      // Unchanged-run length.
      let zeroRun = encoded[s++]!;
      if (zeroRun & 0x80) {
        const high = encoded[s++]!;
        if (high & 0x80) throw this.corrupt(`length at byte ${s - 2} is longer than 2 bytes`);
        zeroRun = (zeroRun & 0x7f) | (high << 7);
      }
      if (zeroRun === 0 && d !== 0) throw this.corrupt(`zero-length unchanged run at byte ${s - 1} (only the first may be 0)`);
      if (d + zeroRun > pageLength) throw this.corrupt(`unchanged run of ${zeroRun} at offset ${d} runs past the ${pageLength}-byte page`);
      d += zeroRun;
      // Changed-run length.
      if (s >= inputLength) throw this.corrupt(`truncated at byte ${s}: changed-run length missing`);
      let changedRun = encoded[s++]!;
      if (changedRun & 0x80) {
        if (s >= inputLength) throw this.corrupt(`truncated at byte ${s}: second length byte missing`);
        const high = encoded[s++]!;
        if (high & 0x80) throw this.corrupt(`length at byte ${s - 2} is longer than 2 bytes`);
        changedRun = (changedRun & 0x7f) | (high << 7);
      }
      if (changedRun === 0) throw this.corrupt(`zero-length changed run at byte ${s - 1}`);
      if (d + changedRun > pageLength) throw this.corrupt(`changed run of ${changedRun} at offset ${d} runs past the ${pageLength}-byte page`);
      if (s + changedRun > inputLength) throw this.corrupt(`changed run of ${changedRun} at byte ${s} runs past the ${inputLength}-byte input`);
      if (apply) for (let k = 0; k < changedRun; k++) page[d + k] = encoded[s + k]!;
      s += changedRun;
      d += changedRun;
    }
  }

  /** A kernel (WebAssembly or native) rejected the delta (page untouched): throws the reason from the parser. */
  private rejected(encoded: Uint8Array, page: Uint8Array): never {
    this.walk(encoded, page, false);
    throw this.corrupt('rejected by the WebAssembly or native decoder'); // unreachable if both parsers agree
  }

  private corrupt(message: string): CodecError {
    return new CodecError(this.name, `corrupt delta: ${message}`);
  }
}
