/**
 * Page memory the delta kernels can see: `allocatePages(count, pageSize)` hands out pages that
 * live inside a WebAssembly memory (an arena), so the XBZRLE/XBRLE kernels read and write them
 * in place, with no copy in or out. Any other Uint8Array still works with every codec, through
 * a copy into the kernels' scratch space.
 *
 * Design:
 * - An arena is one `WebAssembly.Memory` created at its full size (wasm32's limit, 4 GiB minus
 *   one 64 KiB page, or less where the system refuses that much address space) and never
 *   grown: growing a memory detaches its ArrayBuffer and every view handed out, so views stay
 *   valid only if the memory never grows. The untouched part costs address space, not RAM.
 * - Each arena starts with SCRATCH_BYTES of kernel scratch (copies of pages from elsewhere,
 *   encode output, decode input) and ends with a pad, because the kernels read whole 16-byte
 *   vectors past the end of a short run.
 * - Allocation is a bump pointer over the open arenas (first fit); a request that fits no open
 *   arena opens a new one. Freed pages are not reused: when every allocation of an arena has
 *   been garbage-collected the arena is retired (dropped from the list, so it is collected in
 *   turn). Kernel-visible pages are zero-filled, like `new Uint8Array`.
 * - Each arena's views are instances of its own Uint8Array subclass, whose prototype names the
 *   arena: finding a view's arena is one property load. Reading `view.buffer` instead is a
 *   call into V8's C++ runtime in Node 20 (about 40 ns; perf showed it was 45% of decoding a
 *   sparse kernel-visible page, the codecs needing it for two or three views a call).
 *   subarray() keeps the class (it builds its result through the view's constructor), so a
 *   subarray of kernel-visible pages is kernel-visible; slice(), map() and filter() build new
 *   arrays of a length, outside the arena, and the constructor gives those a plain Uint8Array.
 *   A plain `new Uint8Array(buffer, ...)` over an arena's buffer is not kernel-visible (it
 *   takes the copy path, with the same results).
 * - Above what an arena holds (a single request larger than about 4 GiB), or when no arena can
 *   be created at all, `allocatePages` returns an ordinary Uint8Array: the codecs then take
 *   their copy path. A guest larger than one arena is several allocations (GuestMemory's
 *   chunks), spread over several arenas; a page pair split across two arenas copies one page.
 */

// The ES2022 lib has no WebAssembly types (they live in the DOM lib): the little we use.
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
};

/** WebAssembly memory page: 64 KiB. */
const WASM_PAGE = 65536;
/** wasm32's largest memory, in 64 KiB pages (4 GiB minus one page). */
const MAX_ARENA_WASM_PAGES = 65535;
/** Kernel scratch at the start of every arena (see the layout in kernels.ts). */
export const SCRATCH_BYTES = 128 * 1024;
/** Never handed out at the end of an arena: room for the kernels' over-reads. */
const TAIL_PAD_BYTES = 64 * 1024;
/** Allocations start on this boundary (cache lines; pages of 4 KiB stay 4 KiB-aligned). */
const ALIGN = 4096;
/**
 * Allocations of at least COLOURED_MIN_BYTES start COLOUR_BYTES x (1..COLOURS) past the
 * boundary, the multiple rotating: two pools of one power-of-two size allocated in turn would
 * otherwise lie exactly that size apart, and a loop over their pages in step (old and new
 * page, source and destination) then reads addresses that collide in the caches' sets. Two
 * 64 MiB pools of SPARSE pairs read by the XBRLE encoder: 443-527 ns a page 64 MiB apart,
 * 386-416 with 64 KiB more between them (none with 4 or 32 KiB more).
 */
const COLOUR_BYTES = 65536;
const COLOURS = 15;
const COLOURED_MIN_BYTES = 1 << 20;
let nextColour = 0;

export interface PageArena {
  readonly memory: { buffer: ArrayBuffer };
  /** The class of this arena's views (a Uint8Array subclass whose prototype names the arena). */
  readonly View: new (buffer: ArrayBuffer, byteOffset: number, length: number) => Uint8Array;
  /** The whole memory as bytes; the same ArrayBuffer for the arena's life (never grown). */
  readonly bytes: Uint8Array;
  readonly buffer: ArrayBuffer;
  /** Next free byte. */
  next: number;
  /** First byte that is never handed out. */
  readonly end: number;
  /** Allocations not yet garbage-collected. */
  live: number;
  /** Kernel instance bound to this memory, made by kernels.ts on first use. */
  kernels: unknown;
}

const open: PageArena[] = [];
/** Largest arena this process could create (halved on refusal), in wasm pages. */
let arenaWasmPages = MAX_ARENA_WASM_PAGES;
let scratchOnly: PageArena | null = null;

/** Where a kernel-visible view's arena is found: its class's prototype (see the file comment). */
const ARENA = Symbol('pagedelta page arena');
type TaggedView = Uint8Array & { readonly [ARENA]?: PageArena };

/** A view class over `buffer`: its instances are views of the arena's pages, past the scratch. */
function viewClassOver(buffer: ArrayBuffer): PageArena['View'] {
  return class KernelVisiblePages extends Uint8Array {
    constructor(source: ArrayBuffer | number, byteOffset?: number, length?: number) {
      // Called with a length (slice, map, filter), another buffer, or the arena's scratch space:
      // not a view of the arena's pages, so a plain Uint8Array.
      if (source !== buffer || byteOffset === undefined || byteOffset < SCRATCH_BYTES || byteOffset > buffer.byteLength - TAIL_PAD_BYTES) {
        return new Uint8Array(source as ArrayBuffer, byteOffset, length);
      }
      super(source, byteOffset, length);
    }
  };
}

function makeArena(wasmPages: number): PageArena {
  const memory = new WebAssembly.Memory({ initial: wasmPages, maximum: wasmPages });
  const buffer = memory.buffer;
  const View = viewClassOver(buffer);
  const arena: PageArena = { memory, View, buffer, bytes: new Uint8Array(buffer), next: SCRATCH_BYTES, end: buffer.byteLength - TAIL_PAD_BYTES, live: 0, kernels: null };
  Object.defineProperty(View.prototype, ARENA, { value: arena });
  return arena;
}

const registry = new FinalizationRegistry<PageArena>((arena) => {
  arena.live--;
  if (arena.live === 0) {
    const index = open.indexOf(arena);
    if (index >= 0) open.splice(index, 1);
  }
});

/** Opens an arena able to hold `bytes` more, or returns null when the system refuses. */
function openArena(bytes: number): PageArena | null {
  const neededPages = Math.ceil((SCRATCH_BYTES + bytes + TAIL_PAD_BYTES) / WASM_PAGE);
  while (arenaWasmPages >= neededPages) {
    try {
      const arena = makeArena(arenaWasmPages);
      open.push(arena);
      return arena;
    } catch {
      // Not that much address space here (ulimit -v, strict overcommit): try half.
      arenaWasmPages = Math.floor(arenaWasmPages / 2);
    }
  }
  try {
    const arena = makeArena(neededPages);
    open.push(arena);
    return arena;
  } catch {
    return null;
  }
}

/** Largest single allocation an arena can hold, in bytes. */
export const MAX_KERNEL_VISIBLE_BYTES = MAX_ARENA_WASM_PAGES * WASM_PAGE - SCRATCH_BYTES - TAIL_PAD_BYTES;

/**
 * `count` zero-filled pages of `pageSize` bytes as one Uint8Array, inside kernel-visible
 * memory when possible (see the file comment); an ordinary Uint8Array otherwise.
 */
export function allocatePages(count: number, pageSize: number): Uint8Array {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`page count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`page size must be a positive integer, got ${pageSize}`);
  const bytes = count * pageSize;
  if (bytes === 0 || bytes > MAX_KERNEL_VISIBLE_BYTES) return new Uint8Array(bytes);
  const colour = bytes >= COLOURED_MIN_BYTES ? (1 + (nextColour++ % COLOURS)) * COLOUR_BYTES : 0;
  let arena: PageArena | null = null;
  for (const candidate of open) {
    if (candidate.end - candidate.next >= bytes) {
      arena = candidate;
      break;
    }
  }
  arena ??= openArena(bytes);
  if (arena === null) return new Uint8Array(bytes);
  // The colour only where it fits: an arena's room is never lost to it.
  const start = arena.end - arena.next >= bytes + colour ? arena.next + colour : arena.next;
  const view = new arena.View(arena.buffer, start, bytes);
  arena.next = Math.min(arena.end, Math.ceil((start + bytes) / ALIGN) * ALIGN);
  arena.live++;
  registry.register(view, arena);
  return view;
}

/**
 * The arena holding `bytes` (a view from allocatePages, or a subarray of one), or null: one
 * property load, which the codecs make per page.
 */
export function arenaOf(bytes: Uint8Array): PageArena | null {
  return (bytes as TaggedView)[ARENA] ?? null;
}

/** True when the codecs work on `bytes` in place (it came from allocatePages and fits an arena). */
export function isKernelVisible(bytes: Uint8Array): boolean {
  return arenaOf(bytes) !== null;
}

/** A small arena for codec scratch only (pages from elsewhere are copied into it). */
export function scratchArena(): PageArena {
  if (scratchOnly === null) {
    scratchOnly = makeArena(Math.ceil((SCRATCH_BYTES + TAIL_PAD_BYTES) / WASM_PAGE));
  }
  return scratchOnly;
}
