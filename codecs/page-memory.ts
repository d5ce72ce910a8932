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

export interface PageArena {
  readonly memory: { buffer: ArrayBuffer };
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
/** Arena of the last lookup: pages of one guest are looked up over and over. */
let lastFound: PageArena | null = null;
/** Buffer of the last lookup that found no arena (pages from elsewhere come in runs too). */
let lastMissed: ArrayBufferLike | null = null;
/** Largest arena this process could create (halved on refusal), in wasm pages. */
let arenaWasmPages = MAX_ARENA_WASM_PAGES;
let scratchOnly: PageArena | null = null;

function makeArena(wasmPages: number): PageArena {
  const memory = new WebAssembly.Memory({ initial: wasmPages, maximum: wasmPages });
  const buffer = memory.buffer;
  return { memory, buffer, bytes: new Uint8Array(buffer), next: SCRATCH_BYTES, end: buffer.byteLength - TAIL_PAD_BYTES, live: 0, kernels: null };
}

const registry = new FinalizationRegistry<PageArena>((arena) => {
  arena.live--;
  if (arena.live === 0) {
    const index = open.indexOf(arena);
    if (index >= 0) open.splice(index, 1);
    if (lastFound === arena) lastFound = null;
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
  let arena: PageArena | null = null;
  for (const candidate of open) {
    if (candidate.end - candidate.next >= bytes) {
      arena = candidate;
      break;
    }
  }
  arena ??= openArena(bytes);
  if (arena === null) return new Uint8Array(bytes);
  const view = new Uint8Array(arena.buffer, arena.next, bytes);
  arena.next = Math.min(arena.end, Math.ceil((arena.next + bytes) / ALIGN) * ALIGN);
  arena.live++;
  registry.register(view, arena);
  return view;
}

/**
 * The open arena holding `bytes` (kernel-visible, outside the scratch space), or null. The
 * codecs call it per page: one comparison when the page is in the arena of the last lookup.
 */
export function arenaOf(bytes: Uint8Array): PageArena | null {
  return bytes.byteOffset >= SCRATCH_BYTES ? arenaOfBuffer(bytes.buffer) : null;
}

/** The open arena whose memory is `buffer`, or null (callers check the offset is past the scratch). */
export function arenaOfBuffer(buffer: ArrayBufferLike): PageArena | null {
  const last = lastFound;
  if (last !== null && last.buffer === buffer) return last;
  // An ordinary buffer never becomes an arena: remember the last one seen.
  if (buffer === lastMissed) return null;
  for (let k = 0; k < open.length; k++) {
    const arena = open[k]!;
    if (arena.buffer === buffer) {
      lastFound = arena;
      return arena;
    }
  }
  lastMissed = buffer;
  return null;
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
