/**
 * `opt`: Belady's clairvoyant MIN policy, the upper bound for access traces. It needs the whole
 * future: `simulateCache` passes the trace; `createCache('opt', { ..., trace })` gets a cache that
 * must then be driven by exactly that sequence of lookups (each missed lookup optionally
 * followed by its insert), and throws on the first deviation.
 *
 * On a miss with the cache full, the resident page whose next use is farthest (never = +inf)
 * is evicted (ties: any). `bypass=no` (default) is demand paging like every other policy here
 * (the missed page always enters), which MIN is optimal for. `bypass=yes` does not insert a page
 * whose own next use is farther than every resident page's: optimal also against policies that
 * may refuse (QEMU's age rule), and it then returns -1 from insert.
 *
 * Next uses are precomputed in one backward pass (numeric index); residents sit in a max-heap
 * on next use with positions per slot, so each request costs O(log c).
 */
import { BaseCache, type ResolvedCacheOptions } from './base.js';
import { KeyIndex } from './key-index.js';
import { badParam, type PolicyDefinition } from './spec.js';

class OptCache extends BaseCache {
  private readonly trace: ArrayLike<number>;
  /** nextUse[i]: the next request index with the key of request i (Infinity if none). */
  private readonly nextUse: Float64Array;
  private readonly index: KeyIndex;
  private readonly keyOf: Float64Array;
  /** Next use of each slot's page: the heap's priority. */
  private readonly due: Float64Array;
  /** Max-heap of slots by due, and each slot's position in it. */
  private readonly heap: Int32Array;
  private readonly heapPos: Int32Array;
  private used = 0;
  /** Index of the next request expected. */
  private cursor = 0;
  /** Request index whose page may be inserted (-1: none pending). */
  private pendingRequest = -1;

  constructor(
    spec: string,
    options: ResolvedCacheOptions,
    trace: ArrayLike<number>,
    private readonly bypass: boolean,
  ) {
    super(spec, options);
    this.trace = trace;
    const length = trace.length;
    this.nextUse = new Float64Array(length);
    const lastSeen = new KeyIndex(1024);
    for (let i = length - 1; i >= 0; i--) {
      const key = trace[i]!;
      const later = lastSeen.get(key);
      this.nextUse[i] = later >= 0 ? later : Number.POSITIVE_INFINITY;
      lastSeen.set(key, i);
    }
    const c = options.capacityPages;
    this.index = new KeyIndex(c);
    this.keyOf = new Float64Array(c);
    this.due = new Float64Array(c);
    this.heap = new Int32Array(c);
    this.heapPos = new Int32Array(c);
  }

  private expect(key: number): number {
    const position = this.cursor;
    if (position >= this.trace.length) throw new Error(`opt: request ${position + 1} (page ${key}) is beyond the ${this.trace.length}-request trace it was given`);
    if (this.trace[position] !== key) throw new Error(`opt: request ${position + 1} is page ${key}, but the trace given has page ${this.trace[position]}`);
    this.cursor = position + 1;
    return position;
  }

  protected lookupKey(key: number): number {
    const position = this.expect(key);
    const slot = this.index.get(key);
    if (slot >= 0) {
      this.pendingRequest = -1;
      this.due[slot] = this.nextUse[position]!;
      this.siftUp(this.heapPos[slot]!);
      return slot;
    }
    this.pendingRequest = position;
    return -1;
  }

  protected insertKey(key: number): number {
    const resident = this.index.get(key);
    if (resident >= 0) return resident;
    const position = this.pendingRequest;
    this.pendingRequest = -1;
    if (position < 0 || this.trace[position] !== key) {
      throw new Error(`opt: insert(${key}) must follow the missed lookup of the same page`);
    }
    return this.admit(key, this.nextUse[position]!);
  }

  private admit(key: number, due: number): number {
    let slot: number;
    if (this.used < this.capacityPages) {
      slot = this.used++;
      this.heapPos[slot] = slot;
      this.heap[slot] = slot;
    } else {
      slot = this.heap[0]!;
      if (this.bypass && due >= this.due[slot]!) return -1;
      this.index.delete(this.keyOf[slot]!);
      this.evictions++;
    }
    this.keyOf[slot] = key;
    this.due[slot] = due;
    this.index.set(key, slot);
    this.siftUp(this.heapPos[slot]!);
    this.siftDown(this.heapPos[slot]!);
    return slot;
  }

  private siftUp(position: number): void {
    const heap = this.heap;
    const due = this.due;
    const slot = heap[position]!;
    const priority = due[slot]!;
    while (position > 0) {
      const parentPosition = (position - 1) >> 1;
      const parent = heap[parentPosition]!;
      if (due[parent]! >= priority) break;
      heap[position] = parent;
      this.heapPos[parent] = position;
      position = parentPosition;
    }
    heap[position] = slot;
    this.heapPos[slot] = position;
  }

  private siftDown(position: number): void {
    const heap = this.heap;
    const due = this.due;
    const count = this.used;
    const slot = heap[position]!;
    const priority = due[slot]!;
    for (;;) {
      let child = 2 * position + 1;
      if (child >= count) break;
      if (child + 1 < count && due[heap[child + 1]!]! > due[heap[child]!]!) child++;
      const childSlot = heap[child]!;
      if (due[childSlot]! <= priority) break;
      heap[position] = childSlot;
      this.heapPos[childSlot] = position;
      position = child;
    }
    heap[position] = slot;
    this.heapPos[slot] = position;
  }

  /** The replay loop, one copy per class so that its access() call site stays monomorphic. */
  override replay(keys: Float64Array): number {
    let hits = 0;
    for (let i = 0; i < keys.length; i++) if (this.access(keys[i]!)) hits++;
    return hits;
  }

  override access(key: number): boolean {
    const position = this.cursor++;
    const slot = this.index.get(key);
    if (slot >= 0) {
      this.due[slot] = this.nextUse[position]!;
      this.siftUp(this.heapPos[slot]!); // a hit's next use only moves later: up in the max-heap
      return true;
    }
    if (this.admit(key, this.nextUse[position]!) < 0) this.refused++;
    return false;
  }
}

export const optPolicy: PolicyDefinition = {
  name: 'opt',
  description: "Belady's MIN (clairvoyant): evict the page used farthest in the future; needs the trace",
  params: {
    bypass: { default: 'no', values: 'no (demand paging) or yes (a page used later than every resident is not inserted)', description: 'admission' },
  },
  create(spec, options, params, extra) {
    const bypass = params.bypass!;
    if (bypass !== 'no' && bypass !== 'yes') throw badParam('opt', 'bypass', bypass, optPolicy.params.bypass!);
    if (extra.trace === undefined) {
      throw new Error('opt needs the future: use simulateCache(), or pass the access sequence as createCache options.trace');
    }
    return new OptCache(spec, options, extra.trace, bypass === 'yes');
  },
};
