/**
 * `2q`: the full version of 2Q (Johnson & Shasha, VLDB 1994). A1in: FIFO of resident pages
 * seen once recently; A1out: FIFO of the identifiers of pages evicted from A1in; Am: LRU of
 * resident pages re-referenced after leaving A1in.
 *
 * - Hit in Am: move to MRU. Hit in A1in: nothing (no promotion). Miss found in A1out: remove it
 *   from A1out first, reclaim, then insert at the MRU end of Am. Other miss: reclaim, insert at
 *   the head of A1in.
 * - reclaim: nothing while A1in + Am < c; else if |A1in| > Kin (strictly) A1in's oldest page goes
 *   to A1out (whose oldest id is dropped past Kout), else Am's LRU page is evicted and forgotten.
 * - Defaults Kin = floor(c * 25 / 100), Kout = floor(c * 50 / 100) (the paper's recommendation,
 *   as libCacheSim and Caffeine configure it). Parameters: `kin`, `kout` as `P%` of c or pages.
 */
import { BaseCache, type ResolvedCacheOptions } from './base.js';
import { KeyIndex } from './key-index.js';
import { FreeStack, NIL, NodeLists } from './lists.js';
import { badParam, parsePagesOrPercent, type PolicyDefinition } from './spec.js';

const A1IN = 0;
const AM = 1;
const A1OUT = 2;

class TwoQCache extends BaseCache {
  private readonly index: KeyIndex;
  private readonly lists: NodeLists;
  private readonly keyOf: Float64Array;
  private readonly slotOf: Int32Array;
  private readonly freeNodes: FreeStack;
  private readonly freeSlots: FreeStack;
  private pendingKey = -1;
  private pendingNode = NIL;

  constructor(
    spec: string,
    options: ResolvedCacheOptions,
    private readonly kin: number,
    private readonly kout: number,
  ) {
    super(spec, options);
    const nodes = options.capacityPages + kout + 2;
    this.index = new KeyIndex(nodes);
    this.lists = new NodeLists(nodes, 3);
    this.keyOf = new Float64Array(nodes);
    this.slotOf = new Int32Array(nodes).fill(NIL);
    this.freeNodes = new FreeStack(nodes);
    this.freeSlots = new FreeStack(options.capacityPages);
  }

  protected lookupKey(key: number): number {
    const node = this.index.get(key);
    if (node >= 0) {
      const list = this.lists.listOf[node]!;
      if (list === AM) {
        this.lists.moveToHead(AM, node);
        this.pendingKey = -1;
        return this.slotOf[node]!;
      }
      if (list === A1IN) {
        this.pendingKey = -1;
        return this.slotOf[node]!;
      }
    }
    this.pendingKey = key;
    this.pendingNode = node;
    return -1;
  }

  protected insertKey(key: number): number {
    const node = key === this.pendingKey ? this.pendingNode : this.index.get(key);
    this.pendingKey = -1;
    if (node >= 0 && this.lists.listOf[node] !== A1OUT) return this.slotOf[node]!;
    return this.admit(key, node);
  }

  /** The miss path; `node` is x's A1out entry or NIL. */
  private admit(key: number, node: number): number {
    const lists = this.lists;
    if (node >= 0) {
      lists.remove(node); // out of A1out before reclaim can drop it
      this.reclaim();
      const slot = this.freeSlots.pop();
      this.slotOf[node] = slot;
      lists.pushHead(AM, node);
      return slot;
    }
    this.reclaim();
    const fresh = this.freeNodes.pop();
    const slot = this.freeSlots.pop();
    this.keyOf[fresh] = key;
    this.slotOf[fresh] = slot;
    this.index.set(key, fresh);
    lists.pushHead(A1IN, fresh);
    return slot;
  }

  private reclaim(): void {
    const lists = this.lists;
    const size = lists.size;
    if (size[A1IN]! + size[AM]! < this.capacityPages) return;
    this.evictions++;
    if (size[A1IN]! > this.kin || size[AM] === 0) {
      const victim = lists.popTail(A1IN);
      this.freeSlots.push(this.slotOf[victim]!);
      this.slotOf[victim] = NIL;
      lists.pushHead(A1OUT, victim);
      if (size[A1OUT]! > this.kout) this.forget(lists.popTail(A1OUT));
    } else {
      const victim = lists.popTail(AM);
      this.freeSlots.push(this.slotOf[victim]!);
      this.slotOf[victim] = NIL;
      this.forget(victim);
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
    if (node >= 0) {
      const list = this.lists.listOf[node]!;
      if (list === AM) {
        this.lists.moveToHead(AM, node);
        return true;
      }
      if (list === A1IN) return true;
    }
    this.admit(key, node);
    return false;
  }
}

export const twoQPolicy: PolicyDefinition = {
  name: '2q',
  description: 'full 2Q (VLDB 1994): A1in FIFO, A1out ghost FIFO, Am LRU; Kin 25%, Kout 50% of c',
  params: {
    kin: { default: '25%', values: 'P% of c (rounded down) or a page count', description: 'target size of A1in' },
    kout: { default: '50%', values: 'P% of c (rounded down) or a page count', description: 'entries kept in A1out' },
  },
  create(spec, options, params) {
    const c = options.capacityPages;
    const kin = parsePagesOrPercent(params.kin!, c);
    if (kin === null) throw badParam('2q', 'kin', params.kin!, twoQPolicy.params.kin!);
    const kout = parsePagesOrPercent(params.kout!, c);
    if (kout === null) throw badParam('2q', 'kout', params.kout!, twoQPolicy.params.kout!);
    return new TwoQCache(spec, options, kin, kout);
  },
};
