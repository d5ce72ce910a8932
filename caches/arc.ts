/**
 * `arc`: Adaptive Replacement Cache (Megiddo & Modha, FAST 2003). Resident LRU lists T1 (seen
 * once recently) and T2 (seen at least twice), ghost lists B1 and B2 of the identifiers evicted
 * from them, and an adaptive target p for |T1| starting at 0.
 *
 * - Hit in T1 or T2: move to the MRU end of T2 (an immediate repeat promotes too: plain ARC has
 *   no correlated-reference filter).
 * - Ghost hit in B1: p = min(c, p + max(|B2|/|B1|, 1)), REPLACE, x to MRU of T2; in B2:
 *   p = max(0, p - max(|B1|/|B2|, 1)), REPLACE, x to MRU of T2. p adapts before REPLACE and the
 *   ratios count x's own ghost entry.
 * - New page: if |T1|+|B1| = c, drop B1's LRU and REPLACE, or (B1 empty) evict T1's LRU with no
 *   ghost; else if the directory holds >= c entries, drop B2's LRU when it holds 2c, then
 *   REPLACE; x goes to the MRU end of T1.
 * - REPLACE: T1's LRU goes to B1 if |T1| >= 1 and (|T1| > p or (x in B2 and |T1| = p)), else T2's
 *   LRU goes to B2.
 *
 * The paper does not say whether the ratio is integer division: `step=real` (default; the
 * paper's arithmetic as written, as libCacheSim computes it) keeps p real-valued, so the tie
 * |T1| = p fires only when p is integral; `step=int` truncates the ratio (Caffeine).
 */
import { BaseCache, type ResolvedCacheOptions } from './base.js';
import { KeyIndex } from './key-index.js';
import { FreeStack, NIL, NodeLists } from './lists.js';
import { badParam, type PolicyDefinition } from './spec.js';

const T1 = 0;
const T2 = 1;
const B1 = 2;
const B2 = 3;

class ArcCache extends BaseCache {
  private readonly index: KeyIndex;
  private readonly lists: NodeLists;
  private readonly keyOf: Float64Array;
  private readonly slotOf: Int32Array;
  private readonly freeNodes: FreeStack;
  private readonly freeSlots: FreeStack;
  /** Target size of T1. */
  private p = 0;
  private pendingKey = -1;
  private pendingNode = NIL;

  constructor(
    spec: string,
    options: ResolvedCacheOptions,
    private readonly integerStep: boolean,
  ) {
    super(spec, options);
    const nodes = 2 * options.capacityPages + 2;
    this.index = new KeyIndex(nodes);
    this.lists = new NodeLists(nodes, 4);
    this.keyOf = new Float64Array(nodes);
    this.slotOf = new Int32Array(nodes).fill(NIL);
    this.freeNodes = new FreeStack(nodes);
    this.freeSlots = new FreeStack(options.capacityPages);
  }

  protected lookupKey(key: number): number {
    const node = this.index.get(key);
    if (node >= 0 && this.lists.listOf[node]! <= T2) {
      this.lists.remove(node);
      this.lists.pushHead(T2, node);
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
    if (node >= 0 && this.lists.listOf[node]! <= T2) return this.slotOf[node]!;
    return this.admit(key, node);
  }

  private ratio(numerator: number, denominator: number): number {
    const ratio = numerator / denominator;
    if (ratio <= 1) return 1;
    return this.integerStep ? Math.floor(ratio) : ratio;
  }

  private admit(key: number, node: number): number {
    const lists = this.lists;
    const size = lists.size;
    const c = this.capacityPages;
    if (node >= 0) {
      const inB2 = lists.listOf[node] === B2;
      if (inB2) this.p = Math.max(0, this.p - this.ratio(size[B1]!, size[B2]!));
      else this.p = Math.min(c, this.p + this.ratio(size[B2]!, size[B1]!));
      this.replace(inB2);
      lists.remove(node);
      const slot = this.freeSlots.pop();
      this.slotOf[node] = slot;
      lists.pushHead(T2, node);
      return slot;
    }
    const t1 = size[T1]!;
    if (t1 + size[B1]! === c) {
      if (t1 < c) {
        this.forget(lists.popTail(B1));
        this.replace(false);
      } else {
        const victim = lists.popTail(T1);
        this.freeSlots.push(this.slotOf[victim]!);
        this.forget(victim);
        this.evictions++;
      }
    } else {
      const total = t1 + size[T2]! + size[B1]! + size[B2]!;
      if (total >= c) {
        if (total === 2 * c) this.forget(lists.popTail(B2));
        this.replace(false);
      }
    }
    const fresh = this.freeNodes.pop();
    const slot = this.freeSlots.pop();
    this.keyOf[fresh] = key;
    this.slotOf[fresh] = slot;
    this.index.set(key, fresh);
    lists.pushHead(T1, fresh);
    return slot;
  }

  /** REPLACE: one resident page moves to its ghost list. */
  private replace(inB2: boolean): void {
    const lists = this.lists;
    const t1 = lists.size[T1]!;
    const fromT1 = t1 >= 1 && (t1 > this.p || (inB2 && t1 === this.p));
    const victim = lists.popTail(fromT1 ? T1 : T2);
    this.freeSlots.push(this.slotOf[victim]!);
    this.slotOf[victim] = NIL;
    lists.pushHead(fromT1 ? B1 : B2, victim);
    this.evictions++;
  }

  private forget(node: number): void {
    this.slotOf[node] = NIL;
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
    if (node >= 0 && this.lists.listOf[node]! <= T2) {
      this.lists.remove(node);
      this.lists.pushHead(T2, node);
      return true;
    }
    this.admit(key, node);
    return false;
  }
}

export const arcPolicy: PolicyDefinition = {
  name: 'arc',
  description: 'ARC (FAST 2003): T1/T2 resident LRU lists, B1/B2 ghosts, adaptive target p',
  params: {
    step: { default: 'real', values: 'real (p real-valued, libCacheSim) or int (integer ratio, Caffeine)', description: 'adaptation step arithmetic' },
  },
  create(spec, options, params) {
    const step = params.step!;
    if (step !== 'real' && step !== 'int') throw badParam('arc', 'step', step, arcPolicy.params.step!);
    return new ArcCache(spec, options, step === 'int');
  },
};
