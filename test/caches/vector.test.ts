/**
 * Every policy on the hand-checked 40-request vector of cache-policies.md section 2, request
 * by request, through both the PageCache API (lookup, insert on miss) and simulateCache.
 */
import { describe, expect, it } from 'vitest';
import { createCache, simulateCache } from '../../caches/registry.js';

const VECTOR = '1 2 3 1 2 4 5 1 6 7 8 9 1 2 10 11 3 3 12 1 2 13 4 5 14 1 2 15 16 17 18 1 2 19 3 4 5 1 20 2'.split(' ').map(Number);

/** Per-request M(iss)/h(it) through lookup + insert (the migration simulator's usage). */
function pattern(spec: string, capacity: number, keys: number[] = VECTOR): string {
  const cache = createCache(spec, { capacityPages: capacity, storeData: false, trace: keys });
  let out = '';
  for (const key of keys) {
    if (cache.lookup(key) >= 0) out += 'h';
    else {
      cache.insert(key);
      out += 'M';
    }
  }
  return out;
}

const CASES: [string, number, string][] = [
  ['lru', 5, 'MMMhhMMhMMMMhMMMMhMMMMMMMMMMMMMMMMMMMMMM'],
  ['fifo', 5, 'MMMhhMMhMMMMMMMMMhMMMMMMMMMMMMMMMMMMMMMM'],
  ['clock', 5, 'MMMhhMMhMMMMMMMMMhMMMMMMMMMMMMMMMMMMMMMM'],
  ['sieve', 5, 'MMMhhMMhMMMMhhMMMhMhhMMMMhhMMMMhhMhMMhMh'],
  ['2q', 5, 'MMMhhMMhMMMMMMMMMhMMMMMMMhhMMMMhhMMMMhMh'],
  ['arc', 5, 'MMMhhMMhMMMMhhMMMhMhhMMMMhhMMMMhhMhMMhMh'],
  ['arc:step=int', 5, 'MMMhhMMhMMMMhhMMMhMhhMMMMhhMMMMhhMhMMhMh'],
  ['lirs', 5, 'MMMhhMMhMMMMhhMMhhMhhMhMMhhMMMMhhMhhMhMh'],
  ['lirs:hir=2,dup=skip', 5, 'MMMhhMMhMMMMhhMMhhMhhMMMMhhMMMMhhMhMMhMh'],
  ['lirs', 10, 'MMMhhMMhMMMMhhMMhhMhhMhhMhhMMMMhhMhhhhMh'],
  ['arc', 10, 'MMMhhMMhMMMMhhMMMhMhhMMMMhhMMMMhhMhhhhMh'],
  ['arc:step=int', 10, 'MMMhhMMhMMMMhhMMMhMhhMMMMhhMMMMhhMhhhhMh'],
  ['2q', 10, 'MMMhhMMhMMMMhhMMhhMMMMMMMhhMMMMhhMMhhhMh'],
  ['s3fifo', 10, 'MMMhhMMhMMMMhhMMMhMhhMMMMhhMMMMhhMhhhhMh'],
];

describe('the 40-request vector, per request', () => {
  for (const [spec, capacity, expected] of CASES) {
    it(`${spec} at c=${capacity}`, () => {
      expect(pattern(spec, capacity)).toBe(expected);
      const misses = [...expected].filter((mark) => mark === 'M').length;
      expect(simulateCache(spec, capacity, VECTOR).misses).toBe(misses);
    });
  }

  it('totals reported by Caffeine: s3fifo 28 misses at c=5, sieve 25 at c=10', () => {
    expect(simulateCache('s3fifo', 5, VECTOR).misses).toBe(28);
    expect(simulateCache('sieve', 10, VECTOR).misses).toBe(25);
  });
});
