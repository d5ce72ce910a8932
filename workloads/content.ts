/**
 * Initial content of a workload's region and the byte sources writes draw from.
 *
 * - `zero`: all-zero pages (freshly allocated memory; exercises zero-page detection).
 * - `random`: incompressible pages from the workload's PRNG (already-compressed data).
 * - `text`: text-like pages (words and numbers in lines) that LZ4 shrinks to about half.
 * - `mixed`: each page independently zero, text or random with the given fractions.
 * - `splitmix`: the region is the splitmix64 stream of the seed, 8 little-endian bytes per
 *   output: with seed 20110706 these are exactly the canonical old pages of the codec table.
 */
import { isZeroPage } from '../codecs/words.js';
import type { GuestMemory } from './memory.js';
import type { ParamReader } from './params.js';
import { Xoshiro128 } from './prng.js';
import { SplitMix64 } from './splitmix64.js';

export const CONTENT_KINDS = ['zero', 'random', 'text', 'mixed', 'splitmix'] as const;
export type ContentKind = (typeof CONTENT_KINDS)[number];

export interface ContentSpec {
  kind: ContentKind;
  /** Fractions of pages for `mixed` (random = 1 - zero - text). */
  zeroFraction: number;
  textFraction: number;
}

/** Reads `content` (and, for mixed, `zero` and `text` fractions) from a spec. */
export function readContent(params: ParamReader, fallback: ContentKind): ContentSpec {
  const kind = params.choice('content', fallback, CONTENT_KINDS);
  let zeroFraction = 0;
  let textFraction = 0;
  if (kind === 'mixed') {
    zeroFraction = params.number('zero', 0.25, { min: 0, max: 1 });
    textFraction = params.number('text', 0.5, { min: 0, max: 1 });
    if (zeroFraction + textFraction > 1 + 1e-12) params.fail(`zero=${zeroFraction} + text=${textFraction} must not exceed 1 (random pages are the rest)`);
  } else if (params.has('zero') || params.has('text')) {
    params.fail('zero= and text= fractions apply only to content=mixed');
  }
  return { kind, zeroFraction, textFraction };
}

/** A page-aligned range of the guest's pages. */
export interface Region {
  first: number;
  count: number;
}

/** Reads `region=START:COUNT` (page numbers or percentages of the guest), default all pages. */
export function readRegion(params: ParamReader, pageCount: number): Region {
  if (!params.has('region')) return { first: 0, count: pageCount };
  const text = params.string('region', '');
  const match = /^([^:]+):([^:]+)$/.exec(text);
  if (!match) params.fail(`region=${text} must be START:COUNT (pages, or percentages such as 50%:50%)`);
  const resolve = (part: string): number => {
    const percent = /^([0-9]*\.?[0-9]+)%$/.exec(part.trim());
    const value = percent ? Math.round((Number(percent[1]) / 100) * pageCount) : Number(part.trim());
    if (!Number.isInteger(value) || value < 0) params.fail(`region=${text}: "${part}" is not a page number or percentage`);
    return value;
  };
  const first = resolve(match![1]!);
  const count = resolve(match![2]!);
  if (count < 1) params.fail(`region=${text} is empty`);
  if (first + count > pageCount) params.fail(`region=${text} (pages ${first}..${first + count - 1}) is outside the guest's ${pageCount} pages`);
  params.resolved.region = `${first}:${count}`;
  return { first, count };
}

const WORDS = (
  'the of and to in is was for that on with as by at from this be are or an it not which have has had were ' +
  'but all they their one more when there been can would if will also two other its into time than first new ' +
  'page memory guest host migration dirty cache delta round send receive bandwidth latency value key table row ' +
  'index query server client request response error status user session record field buffer queue thread lock ' +
  'read write update insert delete select commit offset length count total size block file path name type data'
).split(' ');

/** About 64 KiB of text-like bytes (lines of words and numbers) drawn from `rng`. */
export function makeTextPool(rng: Xoshiro128, bytes = 65536): Uint8Array {
  const pool = new Uint8Array(bytes);
  let offset = 0;
  let lineLength = 0;
  while (offset < bytes) {
    const roll = rng.nextU32();
    let word: string;
    if ((roll & 15) === 0) word = String(rng.nextBelow(100000));
    else {
      // Square the uniform draw so that a few words are frequent, as in real text.
      const uniform = (roll >>> 4) / 268435456;
      word = WORDS[Math.floor(uniform * uniform * WORDS.length)]!;
    }
    for (let i = 0; i < word.length && offset < bytes; i++) pool[offset++] = word.charCodeAt(i);
    lineLength += word.length + 1;
    if (offset < bytes) pool[offset++] = lineLength > 60 + (roll & 15) ? 10 : 32;
    if (lineLength > 60 + (roll & 15)) lineLength = 0;
  }
  return pool;
}

/** Random bytes to copy whole pages from (so whole-page writes cost a copy, not a PRNG run). */
export function makeRandomPool(rng: Xoshiro128, bytes: number): Uint8Array {
  const words = new Int32Array(bytes >>> 2);
  rng.fillWords(words);
  return new Uint8Array(words.buffer);
}

/** Writes the initial content of `region` into memory. Uses `rng` only; deterministic. */
export function fillRegion(memory: GuestMemory, region: Region, content: ContentSpec, rng: Xoshiro128, seed: number): void {
  const { pageSize, chunkShift, chunkMask } = memory;
  const end = region.first + region.count;
  if (content.kind === 'splitmix') {
    // One continuous stream over the region, chunk by chunk.
    const stream = new SplitMix64(seed);
    for (let page = region.first; page < end; ) {
      const chunkIndex = page >>> chunkShift;
      const chunkEnd = Math.min(end, (chunkIndex + 1) << chunkShift);
      const start = (page & chunkMask) * pageSize;
      stream.fill(memory.chunks[chunkIndex]!.subarray(start, start + (chunkEnd - page) * pageSize));
      page = chunkEnd;
    }
    return;
  }
  const text = content.kind === 'text' || (content.kind === 'mixed' && content.textFraction > 0) ? makeTextPool(rng, Math.max(65536, pageSize * 4)) : undefined;
  const textSlots = text ? (text.length - pageSize) >>> 3 : 0;
  let words: Int32Array | undefined;
  let wordsChunk: Uint8Array | undefined;
  for (let page = region.first; page < end; page++) {
    const chunk = memory.chunks[page >>> chunkShift]!;
    const offset = (page & chunkMask) * pageSize;
    let kind: 'zero' | 'random' | 'text' = content.kind === 'mixed' ? 'random' : (content.kind as 'zero' | 'random' | 'text');
    if (content.kind === 'mixed') {
      const roll = rng.nextDouble();
      kind = roll < content.zeroFraction ? 'zero' : roll < content.zeroFraction + content.textFraction ? 'text' : 'random';
    }
    if (kind === 'zero') {
      // Fresh guest memory is zero already: a read leaves an untouched page unbacked (the
      // kernel maps its shared zero page), a write would fault in and zero a private one.
      const page = chunk.subarray(offset, offset + pageSize);
      if (!isZeroPage(page)) page.fill(0);
    } else if (kind === 'text') {
      if (textSlots > 0) {
        const from = rng.nextBelow(textSlots) << 3;
        chunk.set(text!.subarray(from, from + pageSize), offset);
      } else {
        chunk.set(text!.subarray(0, pageSize), offset);
      }
    } else {
      if (wordsChunk !== chunk) {
        wordsChunk = chunk;
        words = new Int32Array(chunk.buffer, chunk.byteOffset, chunk.byteLength >>> 2);
      }
      rng.fillWords(words!.subarray(offset >>> 2, (offset + pageSize) >>> 2));
    }
  }
}

/** Distinct page contents a whole-page write picks from (views made once, at setup). */
export const POOL_PAGES = 4096;

/**
 * Pages for whole-page rewrites: POOL_PAGES views of pageSize bytes at random word offsets of
 * a random (or text) pool. A write copies one with TypedArray.set (native memcpy), and no view
 * is made per write.
 */
export class PagePool {
  readonly views: Uint8Array[];

  constructor(rng: Xoshiro128, pageSize: number, kind: 'random' | 'text') {
    const bytes = Math.max(4 << 20, pageSize * 16);
    const pool = kind === 'random' ? makeRandomPool(rng, bytes) : makeTextPool(rng, bytes);
    const slots = (pool.length - pageSize) >>> 2;
    this.views = Array.from({ length: POOL_PAGES }, () => {
      const from = rng.nextBelow(slots + 1) << 2;
      return pool.subarray(from, from + pageSize);
    });
  }
}
