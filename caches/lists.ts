/**
 * Index-linked doubly linked lists over a pool of nodes (typed arrays, no objects): the queues
 * and stacks of every list-based policy. A node is in at most one list of a given NodeLists;
 * policies that need a node in two orders at once (LIRS: stack S and queue Q) use two.
 * Head = most recent (MRU / newest), tail = least recent (LRU / oldest).
 */
export const NIL = -1;

export class NodeLists {
  prev: Int32Array;
  next: Int32Array;
  /** Which list a node is in, or -1. */
  listOf: Int32Array;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly size: Int32Array;

  constructor(nodes: number, lists: number) {
    this.prev = new Int32Array(nodes).fill(NIL);
    this.next = new Int32Array(nodes).fill(NIL);
    this.listOf = new Int32Array(nodes).fill(-1);
    this.head = new Int32Array(lists).fill(NIL);
    this.tail = new Int32Array(lists).fill(NIL);
    this.size = new Int32Array(lists);
  }

  /** Room for more nodes (LIRS with an unbounded history). */
  grow(nodes: number): void {
    const prev = new Int32Array(nodes).fill(NIL);
    prev.set(this.prev);
    const next = new Int32Array(nodes).fill(NIL);
    next.set(this.next);
    const listOf = new Int32Array(nodes).fill(-1);
    listOf.set(this.listOf);
    this.prev = prev;
    this.next = next;
    this.listOf = listOf;
  }

  pushHead(list: number, node: number): void {
    const first = this.head[list]!;
    this.prev[node] = NIL;
    this.next[node] = first;
    if (first === NIL) this.tail[list] = node;
    else this.prev[first] = node;
    this.head[list] = node;
    this.listOf[node] = list;
    this.size[list]++;
  }

  pushTail(list: number, node: number): void {
    const last = this.tail[list]!;
    this.next[node] = NIL;
    this.prev[node] = last;
    if (last === NIL) this.head[list] = node;
    else this.next[last] = node;
    this.tail[list] = node;
    this.listOf[node] = list;
    this.size[list]++;
  }

  /** Unlinks `node` from whichever list holds it (no-op when in none). */
  remove(node: number): void {
    const list = this.listOf[node]!;
    if (list < 0) return;
    const before = this.prev[node]!;
    const after = this.next[node]!;
    if (before === NIL) this.head[list] = after;
    else this.next[before] = after;
    if (after === NIL) this.tail[list] = before;
    else this.prev[after] = before;
    this.listOf[node] = -1;
    this.size[list]--;
  }

  /** Moves a node already in `list` to its head. */
  moveToHead(list: number, node: number): void {
    if (this.head[list] === node) return;
    this.remove(node);
    this.pushHead(list, node);
  }

  /** Removes and returns the tail of `list` (NIL when empty). */
  popTail(list: number): number {
    const node = this.tail[list]!;
    if (node !== NIL) this.remove(node);
    return node;
  }
}

/** A stack of free indices [0, n), handed out lowest first at cold start. */
export class FreeStack {
  private items: Int32Array;
  private top: number;

  constructor(n: number) {
    this.items = new Int32Array(n);
    for (let i = 0; i < n; i++) this.items[i] = n - 1 - i;
    this.top = n;
  }

  get available(): number {
    return this.top;
  }

  pop(): number {
    if (this.top === 0) throw new Error('internal: free stack exhausted');
    return this.items[--this.top]!;
  }

  push(index: number): void {
    this.items[this.top++] = index;
  }

  /** Extends the pool to [0, n) (new indices become free). */
  grow(n: number): void {
    const old = this.items.length;
    const items = new Int32Array(n);
    items.set(this.items.subarray(0, this.top));
    let top = this.top;
    for (let i = n - 1; i >= old; i--) items[top++] = i;
    this.items = items;
    this.top = top;
  }
}
