/**
 * The "conflict-burst" page-access trace used to reproduce the shape of the 2011 cache table
 * (set-associativity vs fully associative LRU), in which set conflicts decide the hit ratio.
 *
 * Two kinds of traffic, interleaved at random (splitmix64 seed):
 * - background: a page drawn uniformly from [0, backgroundPages). Uniform random traffic hits
 *   any demand-paging cache of c pages with probability ~ c / backgroundPages, whatever its
 *   associativity, so it sets the common floor (~5%).
 * - conflict bursts: with probability burstProbability, instead of a background request, three
 *   never-seen pages a, a + c, a + 2c (a random offset in a fresh region above the background
 *   pages) are requested twice: a b c a b c. The three are congruent mod c, so they share one
 *   slot of a direct-mapped cache, one set of a 2-way cache (c/2 sets) and one set of a 4- or
 *   8-way cache. With LRU inside a set, 1 and 2 ways miss all six requests (three pages cycle
 *   through one or two ways), while 4 ways, 8 ways and full LRU hit the second three, whatever
 *   was in the set before. Bursts are ~10% of requests, adding ~5% hits for >= 4 ways only:
 *   hence 1-way ~ 2-way, and 4-way ~ 8-way ~ full LRU at about twice the hit ratio.
 */
import { SplitMix64 } from '../../workloads/splitmix64.js';

export interface ConflictTraceOptions {
  /** Cache size in pages the trace is designed for (the bursts' stride). */
  capacity: number;
  requests: number;
  /** Background page range (default round(17.5 x capacity)). */
  backgroundPages?: number;
  /** Probability that the next episode is a burst of 6 requests (default 1/55: ~10% of requests). */
  burstProbability?: number;
  seed: number;
}

/** A seeded stream of uniform doubles in [0, 1) (53 bits), refilled in chunks. */
class Uniforms {
  private readonly rng: SplitMix64;
  private readonly bytes = new Uint8Array(8 * 4096);
  private readonly words = new Uint32Array(this.bytes.buffer);
  private next = 4096;

  constructor(seed: number) {
    this.rng = new SplitMix64(seed);
  }

  take(): number {
    if (this.next === 4096) {
      this.rng.fill(this.bytes);
      this.next = 0;
    }
    const i = this.next++;
    return ((this.words[2 * i + 1]! >>> 5) * 67108864 + (this.words[2 * i]! >>> 6)) / 9007199254740992;
  }
}

export function conflictBurstKeys(options: ConflictTraceOptions): Float64Array {
  const { capacity, requests, seed } = options;
  if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`conflict trace: capacity must be a positive integer, got ${capacity}`);
  const background = options.backgroundPages ?? Math.round(17.5 * capacity);
  const burstProbability = options.burstProbability ?? 1 / 55;
  const random = new Uniforms(seed);
  const keys = new Float64Array(requests);
  // Bursts live above the background range, each in its own 3c-page block: always fresh pages.
  const burstBase = Math.ceil(background / capacity) * capacity;
  let burst = 0;
  let i = 0;
  while (i < requests) {
    if (random.take() < burstProbability) {
      const first = burstBase + 3 * capacity * burst + Math.floor(random.take() * capacity);
      burst++;
      for (let repeat = 0; repeat < 2; repeat++) {
        for (let k = 0; k < 3 && i < requests; k++) keys[i++] = first + k * capacity;
      }
    } else {
      keys[i++] = Math.floor(random.take() * background);
    }
  }
  return keys;
}
