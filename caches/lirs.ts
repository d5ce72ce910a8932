/**
 * `lirs`: LIRS (Jiang & Zhang, SIGMETRICS 2002). LIR pages (small inter-reference recency) are
 * always resident; HIR pages live in a small resident part of Lhirs pages (queue Q, front = next
 * victim). Stack S orders LIR pages, resident HIR pages and non-resident HIR entries by recency;
 * its bottom is always an LIR page (pruning), and non-resident entries exist only inside S.
 *
 * - LIR hit: to the top of S; prune if it was the bottom.
 * - Resident HIR hit, in S: becomes LIR (leaves Q) and the bottom LIR page is demoted to the end
 *   of Q. Not in S: pushed on S and moved to the end of Q; nothing else changes.
 * - Miss: cold start fills Llirs = c - Lhirs LIR pages, then Lhirs resident HIR pages. Once full,
 *   the front of Q is evicted first (kept as a non-resident entry if it is in S); then a page
 *   with a non-resident entry in S becomes LIR (the bottom LIR page is demoted to the end of Q),
 *   any other page becomes resident HIR on top of S and at the end of Q.
 *
 * Variant parameters (the paper leaves them open; see cache-policies.md section 1.3):
 * - `hir`: Lhirs as `P%` of c (floor, at least 1; default 1%, the paper's), a page count, or
 *   `authors` = max(2, floor(c / 100)) as the authors' code computes it. Must be < c.
 * - `nonres`: bound on non-resident entries, dropping the one that became non-resident
 *   earliest: `Kc` (K times c), a count or `none`. Default `2c` (Caffeine's bound).
 * - `stack`: bound on |S| (LIR + resident HIR + non-resident entries), same drop order
 *   (libCacheSim uses `2c`). Default `none`.
 * - `dup`: back-to-back repeats of a page. `count` (default): an ordinary access. `skip`: a hit
 *   that changes nothing (the authors' code). `top`: a resident HIR page already on top of S is
 *   not promoted (Caffeine's emulation of the same).
 */
import { BaseCache, type ResolvedCacheOptions } from './base.js';
import { KeyIndex } from './key-index.js';
import { FreeStack, NIL, NodeLists } from './lists.js';
import { badParam, parseBound, parsePagesOrPercent, type PolicyDefinition } from './spec.js';

const LIR = 0;
const HIR_RESIDENT = 1;
const HIR_NONRESIDENT = 2;

const DUP_COUNT = 0;
const DUP_SKIP = 1;
const DUP_TOP = 2;

class LirsCache extends BaseCache {
  private readonly index: KeyIndex;
  /** Stack S (head = top). */
  private readonly stack: NodeLists;
  /** Queue Q of resident HIR pages (tail = front = next victim; new entries at the head). */
  private readonly queue: NodeLists;
  /** Non-resident entries in the order they became non-resident (tail = earliest). */
  private readonly ghosts: NodeLists;
  private keyOf: Float64Array;
  private status: Uint8Array;
  private slotOf: Int32Array;
  private readonly freeNodes: FreeStack;
  private readonly freeSlots: FreeStack;
  private nodeCount: number;
  private lirCount = 0;
  private residentCount = 0;
  private readonly lirLimit: number;
  private lastKey = -1;
  private pendingKey = -1;
  private pendingNode = NIL;

  constructor(
    spec: string,
    options: ResolvedCacheOptions,
    hirPages: number,
    private readonly nonresidentBound: number,
    private readonly stackBound: number,
    private readonly dup: number,
  ) {
    super(spec, options);
    const c = options.capacityPages;
    this.lirLimit = c - hirPages;
    const history = Math.min(nonresidentBound, stackBound === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : stackBound);
    // Bounded history: room for every entry up front. Unbounded: start at 4c and grow.
    this.nodeCount = c + 2 + (Number.isFinite(history) ? history : 3 * c);
    const nodes = this.nodeCount;
    this.index = new KeyIndex(nodes);
    this.stack = new NodeLists(nodes, 1);
    this.queue = new NodeLists(nodes, 1);
    this.ghosts = new NodeLists(nodes, 1);
    this.keyOf = new Float64Array(nodes);
    this.status = new Uint8Array(nodes);
    this.slotOf = new Int32Array(nodes).fill(NIL);
    this.freeNodes = new FreeStack(nodes);
    this.freeSlots = new FreeStack(c);
  }

  protected lookupKey(key: number): number {
    const node = this.index.get(key);
    if (node < 0 || this.status[node] === HIR_NONRESIDENT) {
      this.lastKey = key;
      this.pendingKey = key;
      this.pendingNode = node;
      return -1;
    }
    this.pendingKey = -1;
    this.hit(key, node);
    return this.slotOf[node]!;
  }

  protected insertKey(key: number): number {
    const node = key === this.pendingKey ? this.pendingNode : this.index.get(key);
    this.pendingKey = -1;
    if (node >= 0 && this.status[node] !== HIR_NONRESIDENT) return this.slotOf[node]!;
    return this.miss(key, node);
  }

  private hit(key: number, node: number): void {
    const repeat = key === this.lastKey;
    this.lastKey = key;
    if (repeat && this.dup === DUP_SKIP) return;
    const stack = this.stack;
    if (this.status[node] === LIR) {
      const wasBottom = stack.tail[0] === node;
      stack.moveToHead(0, node);
      if (wasBottom) this.prune();
      return;
    }
    // Resident HIR.
    if (stack.listOf[node] === 0) {
      if (this.dup === DUP_TOP && stack.head[0] === node) return;
      stack.moveToHead(0, node);
      this.status[node] = LIR;
      this.lirCount++;
      this.queue.remove(node);
      this.demote();
    } else {
      stack.pushHead(0, node);
      this.queue.remove(node);
      this.queue.pushHead(0, node);
    }
  }

  /** The miss path; `node` is x's non-resident entry in S, or NIL. */
  private miss(key: number, node: number): number {
    const stack = this.stack;
    if (this.lirCount < this.lirLimit || this.residentCount < this.capacityPages) {
      // Cold start: nothing is evicted.
      if (node >= 0) {
        stack.remove(node);
        this.ghosts.remove(node);
      } else {
        node = this.newNode(key);
      }
      this.slotOf[node] = this.freeSlots.pop();
      this.residentCount++;
      stack.pushHead(0, node);
      if (this.lirCount < this.lirLimit) {
        this.status[node] = LIR;
        this.lirCount++;
      } else {
        this.status[node] = HIR_RESIDENT;
        this.queue.pushHead(0, node);
      }
    } else {
      // The one eviction: the front of Q, before anything is promoted or demoted.
      const victim = this.queue.popTail(0);
      this.freeSlots.push(this.slotOf[victim]!);
      this.slotOf[victim] = NIL;
      this.evictions++;
      if (stack.listOf[victim] === 0) {
        this.status[victim] = HIR_NONRESIDENT;
        this.ghosts.pushHead(0, victim);
      } else {
        this.forget(victim);
      }
      if (node < 0) node = this.newNodeResident(key); // may grow the node arrays
      this.slotOf[node] = this.freeSlots.pop();
      if (this.status[node] === HIR_NONRESIDENT) {
        this.ghosts.remove(node);
        stack.moveToHead(0, node);
        this.status[node] = LIR;
        this.lirCount++;
        this.demote();
      } else {
        this.status[node] = HIR_RESIDENT;
        stack.pushHead(0, node);
        this.queue.pushHead(0, node);
      }
    }
    this.lastKey = key;
    this.enforceBounds();
    return this.slotOf[node]!;
  }

  /** A fresh node for a page about to become resident HIR (status set by the caller). */
  private newNodeResident(key: number): number {
    const node = this.newNode(key);
    this.status[node] = HIR_RESIDENT;
    return node;
  }

  private newNode(key: number): number {
    if (this.freeNodes.available === 0) this.growNodes();
    const node = this.freeNodes.pop();
    this.keyOf[node] = key;
    this.index.set(key, node);
    return node;
  }

  /** The bottom LIR page of S becomes resident HIR at the end of Q; then prune. */
  private demote(): void {
    const bottom = this.stack.popTail(0);
    this.status[bottom] = HIR_RESIDENT;
    this.lirCount--;
    this.queue.pushHead(0, bottom);
    this.prune();
  }

  /** Restores "the bottom of S is LIR": HIR entries leave S (non-resident ones are forgotten). */
  private prune(): void {
    const stack = this.stack;
    for (;;) {
      const bottom = stack.tail[0]!;
      if (bottom === NIL || this.status[bottom] === LIR) return;
      stack.remove(bottom);
      if (this.status[bottom] === HIR_NONRESIDENT) {
        this.ghosts.remove(bottom);
        this.forget(bottom);
      }
    }
  }

  private enforceBounds(): void {
    const ghosts = this.ghosts;
    while (ghosts.size[0]! > this.nonresidentBound) this.dropOldestGhost();
    while (this.stack.size[0]! > this.stackBound && ghosts.size[0]! > 0) this.dropOldestGhost();
  }

  /** Drops the entry that became non-resident earliest (HIR, so S's bottom stays LIR). */
  private dropOldestGhost(): void {
    const node = this.ghosts.popTail(0);
    this.stack.remove(node);
    this.forget(node);
  }

  private forget(node: number): void {
    this.index.delete(this.keyOf[node]!);
    this.slotOf[node] = NIL;
    this.freeNodes.push(node);
  }

  private growNodes(): void {
    const nodes = this.nodeCount * 2;
    this.stack.grow(nodes);
    this.queue.grow(nodes);
    this.ghosts.grow(nodes);
    const keyOf = new Float64Array(nodes);
    keyOf.set(this.keyOf);
    this.keyOf = keyOf;
    const status = new Uint8Array(nodes);
    status.set(this.status);
    this.status = status;
    const slotOf = new Int32Array(nodes).fill(NIL);
    slotOf.set(this.slotOf);
    this.slotOf = slotOf;
    this.freeNodes.grow(nodes);
    this.nodeCount = nodes;
  }

  /** The replay loop, one copy per class so that its access() call site stays monomorphic. */
  override replay(keys: Float64Array): number {
    let hits = 0;
    for (let i = 0; i < keys.length; i++) if (this.access(keys[i]!)) hits++;
    return hits;
  }

  override access(key: number): boolean {
    const node = this.index.get(key);
    if (node < 0 || this.status[node] === HIR_NONRESIDENT) {
      this.miss(key, node);
      return false;
    }
    this.hit(key, node);
    return true;
  }
}

export const lirsPolicy: PolicyDefinition = {
  name: 'lirs',
  description: 'LIRS (SIGMETRICS 2002): Lhirs 1% of c, non-resident entries bounded at 2c (Caffeine), repeats counted',
  params: {
    hir: { default: '1%', values: 'P% of c (floor, at least 1), a page count, or authors (max(2, floor(c/100)))', description: 'Lhirs, the resident HIR part' },
    nonres: { default: '2c', values: 'Kc (K x capacity), an entry count, or none', description: 'bound on non-resident HIR entries' },
    stack: { default: 'none', values: 'Kc, an entry count (>= c), or none', description: 'bound on |S|' },
    dup: { default: 'count', values: 'count, skip (authors), top (Caffeine)', description: 'treatment of back-to-back repeats' },
  },
  create(spec, options, params) {
    const c = options.capacityPages;
    let hir: number | null;
    if (params.hir === 'authors') hir = Math.max(2, Math.floor(c / 100));
    else {
      hir = parsePagesOrPercent(params.hir!, c);
      if (hir !== null && params.hir!.endsWith('%')) hir = Math.max(1, hir);
    }
    if (hir === null || hir < 1) throw badParam('lirs', 'hir', params.hir!, lirsPolicy.params.hir!);
    if (hir >= c) throw new Error(`lirs: Lhirs = ${hir} leaves no LIR pages at capacity ${c}; LIRS needs capacity >= Lhirs + 1`);
    const nonres = parseBound(params.nonres!, c);
    if (nonres === null) throw badParam('lirs', 'nonres', params.nonres!, lirsPolicy.params.nonres!);
    const stack = parseBound(params.stack!, c);
    if (stack === null || stack < c) throw badParam('lirs', 'stack', params.stack!, lirsPolicy.params.stack!);
    const dup = { count: DUP_COUNT, skip: DUP_SKIP, top: DUP_TOP }[params.dup!];
    if (dup === undefined) throw badParam('lirs', 'dup', params.dup!, lirsPolicy.params.dup!);
    return new LirsCache(spec, options, hir, nonres, stack, dup);
  },
};
