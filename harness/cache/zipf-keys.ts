/**
 * Seeded synthetic access traces for cache studies: Zipf(skew) over `distinct` keys, sampled by
 * inverse CDF, with ranks mapped to keys through a seeded permutation (so the hottest keys are
 * not simply 0, 1, 2, ...). Randomness: splitmix64 (workloads/splitmix64.ts), 53-bit uniforms.
 */
import { SplitMix64 } from '../../workloads/splitmix64.js';

/** `count` uniform doubles in [0, 1) from splitmix64(seed), 53 bits each. */
export function uniformDoubles(seed: number, count: number): Float64Array {
  const rng = new SplitMix64(seed);
  const out = new Float64Array(count);
  const chunk = 65536;
  const bytes = new Uint8Array(chunk * 8);
  const words = new Uint32Array(bytes.buffer);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    rng.fill(n === chunk ? bytes : bytes.subarray(0, n * 8));
    for (let i = 0; i < n; i++) {
      // little-endian: words[2i] is the low half of output i
      out[start + i] = ((words[2 * i + 1]! >>> 5) * 67108864 + (words[2 * i]! >>> 6)) / 9007199254740992;
    }
  }
  return out;
}

export interface ZipfTraceOptions {
  requests: number;
  distinct: number;
  skew: number;
  seed: number;
}

/** A Zipf(skew) access trace: key of rank r (1-based) is requested with probability ~ r^-skew. */
export function zipfKeys(options: ZipfTraceOptions): Float64Array {
  const { requests, distinct, skew, seed } = options;
  if (!(Number.isInteger(requests) && requests >= 0)) throw new RangeError(`zipf: requests must be a non-negative integer, got ${requests}`);
  if (!(Number.isInteger(distinct) && distinct >= 1)) throw new RangeError(`zipf: distinct must be a positive integer, got ${distinct}`);
  if (!(skew >= 0)) throw new RangeError(`zipf: skew must be >= 0, got ${skew}`);
  const cdf = new Float64Array(distinct);
  let total = 0;
  for (let rank = 1; rank <= distinct; rank++) {
    total += rank ** -skew;
    cdf[rank - 1] = total;
  }
  // Rank -> key: a seeded Fisher-Yates permutation of 0..distinct-1.
  const permutation = new Float64Array(distinct);
  for (let i = 0; i < distinct; i++) permutation[i] = i;
  const shuffle = uniformDoubles(seed ^ 0x5bd1e995, distinct);
  for (let i = distinct - 1; i > 0; i--) {
    const j = Math.floor(shuffle[i]! * (i + 1));
    const swap = permutation[i]!;
    permutation[i] = permutation[j]!;
    permutation[j] = swap;
  }
  const uniforms = uniformDoubles(seed, requests);
  const keys = new Float64Array(requests);
  for (let i = 0; i < requests; i++) {
    const target = uniforms[i]! * total;
    let low = 0;
    let high = distinct - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cdf[middle]! <= target) low = middle + 1;
      else high = middle;
    }
    keys[i] = permutation[low]!;
  }
  return keys;
}
