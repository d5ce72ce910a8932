/**
 * Word-at-a-time access to byte pages without allocating per call.
 *
 * Pages are usually subarrays of one large buffer (guest memory, a cache slab). Creating an
 * Int32Array view per page would allocate on the hot path, so each `WordView` remembers the
 * view it made for the last underlying ArrayBuffer and reuses it while the buffer stays the
 * same. Word access is little-endian on every platform Node runs on here (x86-64, arm64).
 */
import { arenaOf } from './page-memory.js';
import { byteOffsetOf } from './view-fields.js';

/**
 * A view over the whole buffer. Over a resizable ArrayBuffer the view is length-tracking (no
 * length given), so a page past the buffer's size when the view was made, after the buffer grew,
 * is still seen: a fixed-length view would read it as out of range (undefined), and a codec
 * would call differing pages identical.
 */
function isResizable(buffer: ArrayBufferLike): boolean {
  return (buffer as { resizable?: boolean }).resizable === true || (buffer as { growable?: boolean }).growable === true;
}
function wordsOver32(buffer: ArrayBufferLike): Int32Array {
  return isResizable(buffer) ? new Int32Array(buffer, 0) : new Int32Array(buffer, 0, buffer.byteLength >>> 2);
}
function wordsOver64(buffer: ArrayBufferLike): BigInt64Array {
  return isResizable(buffer) ? new BigInt64Array(buffer, 0) : new BigInt64Array(buffer, 0, buffer.byteLength >>> 3);
}

/**
 * `bytes.buffer`, without the getter for kernel-visible pages: it is a call into V8's C++
 * runtime in Node 20 (about 40 ns), while their arena is one property load (page-memory.ts).
 */
function bufferOfPage(bytes: Uint8Array): ArrayBufferLike {
  const arena = arenaOf(bytes);
  return arena !== null ? arena.buffer : bytes.buffer;
}

export class WordView {
  private buffer: ArrayBufferLike | null = null;
  private words: Int32Array = new Int32Array(0);
  private buffer64: ArrayBufferLike | null = null;
  private words64: BigInt64Array = new BigInt64Array(0);

  /**
   * The BigInt64Array over `bytes.buffer`, or null when `bytes` is not 8-byte aligned.
   * V8 compares BigInt64Array elements without allocating, and bit-exactly (unlike
   * Float64Array, where NaN != NaN and +0 == -0): the fastest equality scan in plain JS here.
   */
  of64(bytes: Uint8Array): BigInt64Array | null {
    if ((byteOffsetOf(bytes) & 7) !== 0) return null;
    const buffer = bufferOfPage(bytes);
    if (buffer !== this.buffer64) {
      this.buffer64 = buffer;
      this.words64 = wordsOver64(buffer);
    }
    return this.words64;
  }

  /** The Int32Array over `bytes.buffer`, or null when `bytes` is not 4-byte aligned. */
  of(bytes: Uint8Array): Int32Array | null {
    if ((byteOffsetOf(bytes) & 3) !== 0) return null;
    const buffer = bufferOfPage(bytes);
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.words = wordsOver32(buffer);
    }
    return this.words;
  }
}

const viewA = new WordView();
const viewB = new WordView();

/** True when the two pages hold the same bytes (word-wise where aligned). */
export function pagesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = a.length;
  if (length !== b.length) return false;
  const wa = viewA.of(a);
  const wb = viewB.of(b);
  let i = 0;
  if (wa !== null && wb !== null) {
    let ia = a.byteOffset >>> 2;
    let ib = b.byteOffset >>> 2;
    const wordEnd = length & ~3;
    for (; i < wordEnd; i += 4) {
      if (wa[ia++] !== wb[ib++]) return false;
    }
  }
  for (; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when every byte of the page is 0. */
export function isZeroPage(page: Uint8Array): boolean {
  const words = viewA.of(page);
  const length = page.length;
  let i = 0;
  if (words !== null) {
    let index = page.byteOffset >>> 2;
    const wordEnd = length & ~3;
    for (; i < wordEnd; i += 4) if (words[index++] !== 0) return false;
  }
  for (; i < length; i++) if (page[i] !== 0) return false;
  return true;
}

/**
 * out[i] = a[i] ^ b[i] for the length of `a`; returns true when any byte differs.
 * `out` must be at least as long as `a`.
 */
export function xorInto(a: Uint8Array, b: Uint8Array, out: Uint8Array): boolean {
  const length = a.length;
  const wa = viewA.of(a);
  const wb = viewB.of(b);
  const wo = outView.of(out);
  let any = 0;
  let i = 0;
  if (wa !== null && wb !== null && wo !== null) {
    let ia = a.byteOffset >>> 2;
    let ib = b.byteOffset >>> 2;
    let io = out.byteOffset >>> 2;
    const wordEnd = length & ~3;
    for (; i < wordEnd; i += 4) {
      const x = wa[ia++] ^ wb[ib++];
      wo[io++] = x;
      any |= x;
    }
  }
  for (; i < length; i++) {
    const x = a[i] ^ b[i];
    out[i] = x;
    any |= x;
  }
  return any !== 0;
}
const outView = new WordView();

/** page[i] ^= delta[i] for the length of `page`. */
export function xorInPlace(page: Uint8Array, delta: Uint8Array): void {
  const length = page.length;
  const wp = viewA.of(page);
  const wd = viewB.of(delta);
  let i = 0;
  if (wp !== null && wd !== null) {
    let ip = page.byteOffset >>> 2;
    let id = delta.byteOffset >>> 2;
    const wordEnd = length & ~3;
    for (; i < wordEnd; i += 4) wp[ip++] ^= wd[id++];
  }
  for (; i < length; i++) page[i] ^= delta[i];
}
