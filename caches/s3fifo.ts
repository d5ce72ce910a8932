/**
 * `s3fifo`: S3-FIFO (Yang et al., SOSP 2023), the paper's variant (as the Caffeine simulator
 * implements it). Queues: S (small FIFO, `small` = max(1, floor(c * 10 / 100)) pages), M (main
 * FIFO, the rest), G (ghost FIFO of identifiers, `ghost` entries, default as many as M holds).
 * Each resident page has a frequency counter 0..3 incremented on hits.
 *
 * - Miss: while S + M hold c pages, evict; then (`ghostcheck=after`, the paper's order) a page
 *   found in G leaves G and enters M, anything else enters S; its counter starts at 0.
 * - Evict: from S when |S| >= max S or M is empty, else from M.
 * - From S: take S's oldest; with freq >= `promote` (default 2: at least two hits while in S, as
 *   both reference implementations do) it moves to M with freq 0, evicting from M when M then
 *   exceeds its size (the loop goes on); otherwise it is evicted into G and the loop ends.
 * - From M: take M's oldest; freq > 0: decrement and reinsert; else evict it (no ghost).
 * `ghostcheck=before` looks G up before making room (libCacheSim's order).
 */
import { BaseCache, type ResolvedCacheOptions } from './base.js';
import { KeyIndex } from './key-index.js';
import { FreeStack, NIL, NodeLists } from './lists.js';
import { badParam, parsePagesOrPercent, type PolicyDefinition } from './spec.js';

const S = 0;
const M = 1;
const G = 2;

class S3FifoCache extends BaseCache {
  private readonly index: KeyIndex;
  private readonly lists: NodeLists;
  private readonly keyOf: Float64Array;
  private readonly slotOf: Int32Array;
  private readonly freq: Uint8Array;
  private readonly freeNodes: FreeStack;
  private readonly freeSlots: FreeStack;
  private readonly maxM: number;
  private pendingKey = -1;
  private pendingNode = NIL;

  constructor(
    spec: string,
    options: ResolvedCacheOptions,
    private readonly maxS: number,
    private readonly ghostCapacity: number,
    private readonly promote: number,
    private readonly ghostBefore: boolean,
  ) {
    super(spec, options);
    this.maxM = options.capacityPages - maxS;
    const nodes = options.capacityPages + ghostCapacity + 2;
    this.index = new KeyIndex(nodes);
    this.lists = new NodeLists(nodes, 3);
    this.keyOf = new Float64Array(nodes);
    this.slotOf = new Int32Array(nodes).fill(NIL);
    this.freq = new Uint8Array(nodes);
    this.freeNodes = new FreeStack(nodes);
    this.freeSlots = new FreeStack(options.capacityPages);
  }

  protected lookupKey(key: number): number {
    const node = this.index.get(key);
    if (node >= 0 && this.lists.listOf[node] !== G) {
      if (this.freq[node]! < 3) this.freq[node]++;
      this.pendingKey = -1;
      return this.slotOf[node]!;
    }
    this.pendingKey = key;
    this.pendingNode = node;
    return -1;
  }

  protected insertKey(key: number): number {
    const node = key === this.pendingKey ? this.pendingNode : this.index.get(key);
    this.pendingKey = -1;
    if (node >= 0 && this.lists.listOf[node] !== G) return this.slotOf[node]!;
    return this.admit(key, node);
  }

  private admit(key: number, ghost: number): number {
    const lists = this.lists;
    const size = lists.size;
    if (this.ghostBefore && ghost >= 0) {
      lists.remove(ghost);
      this.index.delete(key);
      this.freeNodes.push(ghost);
    }
    while (size[S]! + size[M]! >= this.capacityPages) this.evict();
    let toMain = false;
    let node = NIL;
    if (this.ghostBefore) {
      toMain = ghost >= 0;
    } else if (ghost >= 0) {
      // Making room may have pushed x's own ghost out of G (and recycled its node).
      node = this.index.get(key);
      if (node >= 0) {
        lists.remove(node);
        toMain = true;
      }
    }
    if (node < 0) {
      node = this.freeNodes.pop();
      this.keyOf[node] = key;
      this.index.set(key, node);
    }
    const slot = this.freeSlots.pop();
    this.slotOf[node] = slot;
    this.freq[node] = 0;
    lists.pushHead(toMain ? M : S, node);
    return slot;
  }

  private evict(): void {
    const size = this.lists.size;
    if (size[S]! >= this.maxS || size[M] === 0) this.evictS();
    else this.evictM();
  }

  private evictS(): void {
    const lists = this.lists;
    while (lists.size[S]! > 0) {
      const tail = lists.popTail(S);
      if (this.freq[tail]! >= this.promote) {
        this.freq[tail] = 0;
        lists.pushHead(M, tail);
        if (lists.size[M]! > this.maxM) this.evictM();
      } else {
        this.freeSlots.push(this.slotOf[tail]!);
        this.slotOf[tail] = NIL;
        this.evictions++;
        lists.pushHead(G, tail);
        if (lists.size[G]! > this.ghostCapacity) this.forget(lists.popTail(G));
        return;
      }
    }
  }

  private evictM(): void {
    const lists = this.lists;
    while (lists.size[M]! > 0) {
      const tail = lists.popTail(M);
      if (this.freq[tail]! > 0) {
        this.freq[tail]--;
        lists.pushHead(M, tail);
      } else {
        this.freeSlots.push(this.slotOf[tail]!);
        this.slotOf[tail] = NIL;
        this.evictions++;
        this.forget(tail);
        return;
      }
    }
  }

  private forget(node: number): void {
    this.index.delete(this.keyOf[node]!);
    this.freeNodes.push(node);
  }

  /** The replay loop, one copy per class so that its access() call site stays monomorphic. */
  override replay(keys: Float64Array): number {
    let hits = 0;
    for (let i = 0; i < keys.length; i++) if (this.access(keys[i]!)) hits++;
    return hits;
  }

  override access(key: number): boolean {
    const node = this.index.get(key);
    if (node >= 0 && this.lists.listOf[node] !== G) {
      if (this.freq[node]! < 3) this.freq[node]++;
      return true;
    }
    this.admit(key, node);
    return false;
  }
}

export const s3fifoPolicy: PolicyDefinition = {
  name: 's3fifo',
  description: "S3-FIFO (SOSP 2023), the paper's variant: S 10%, M 90%, ghost G as large as M, promote at freq >= 2",
  params: {
    small: { default: '10%', values: 'P% of c (rounded down, at least 1) or a page count', description: 'size of S' },
    ghost: { default: 'main', values: 'main (= c - |S| max), P% of c or an entry count', description: 'entries kept in G' },
    promote: { default: '2', values: '1, 2 or 3 (hits while in S needed to move to M)', description: 'S->M promotion threshold' },
    ghostcheck: { default: 'after', values: 'after (paper, Caffeine) or before (libCacheSim)', description: 'when G is looked up on a miss' },
  },
  create(spec, options, params) {
    const c = options.capacityPages;
    const small = parsePagesOrPercent(params.small!, c);
    if (small === null || small > c) throw badParam('s3fifo', 'small', params.small!, s3fifoPolicy.params.small!);
    const maxS = Math.max(1, small);
    const ghost = params.ghost === 'main' ? c - maxS : parsePagesOrPercent(params.ghost!, c);
    if (ghost === null) throw badParam('s3fifo', 'ghost', params.ghost!, s3fifoPolicy.params.ghost!);
    const promote = Number(params.promote);
    if (!['1', '2', '3'].includes(params.promote!)) throw badParam('s3fifo', 'promote', params.promote!, s3fifoPolicy.params.promote!);
    const check = params.ghostcheck!;
    if (check !== 'after' && check !== 'before') throw badParam('s3fifo', 'ghostcheck', check, s3fifoPolicy.params.ghostcheck!);
    return new S3FifoCache(spec, options, maxS, ghost, promote, check === 'before');
  },
};
