/**
 * Guest-physical placement: where the pages a workload numbers 0..n-1 sit in the guest's
 * physical memory. QEMU walks guest-physical memory in address order and its XBZRLE cache
 * is indexed by guest-physical page (direct-mapped: slot = page mod slots), so placement
 * decides the send order and which pages collide in the cache.
 *
 * A real kernel hands a program physical pages from its free lists, not one contiguous run:
 * a 32 MiB hot set spread over a guest filled only about half the slots of an 8192-slot cache
 * on a real QEMU run, where an identity placement of the `hotset` affine scatter collides
 * nowhere and the contiguous `qemu-age-test` buffer maps exactly two pages to every slot.
 *
 * - `identity`: workload page p is physical page p.
 * - `random`: a seeded uniformly random permutation of every page.
 * - `runs:N`: pages in runs of N contiguous pages, the runs in a seeded random order
 *   (a fragmented allocator; `runs:1` is `random`).
 * The permutation is one Uint32Array built once (Fisher-Yates), so the per-page cost is one
 * typed-array read.
 */
import { splitComposition } from '../../workloads/params.js';
import { deriveSeed, Xoshiro128 } from '../../workloads/prng.js';

export type PlacementKind = 'identity' | 'random' | 'runs' | 'explicit';

export interface Placement {
  kind: PlacementKind;
  /** Run length in pages (1 for random, the page count for identity). */
  run: number;
  /** Normalised spec: `identity`, `random`, `runs:N`, or `explicit` (a given permutation). */
  spec: string;
  /** For `explicit`: physical[p] = the guest-physical page of workload page p. */
  physical?: Uint32Array;
}

/**
 * A placement given page by page (for instance the frames a real guest kernel gave a program,
 * as the project's QEMU guest reports them). Throws one line unless `physical` is a
 * permutation of 0..pageCount-1.
 */
export function explicitPlacement(physical: Uint32Array, pageCount: number): Placement {
  if (physical.length !== pageCount) throw new Error(`placement: ${physical.length} pages given for a guest of ${pageCount} pages`);
  const seen = new Uint8Array(pageCount);
  for (let page = 0; page < pageCount; page++) {
    const frame = physical[page]!;
    if (frame >= pageCount || seen[frame] === 1) throw new Error(`placement: page ${page} maps to ${frame >= pageCount ? `frame ${frame}, beyond the guest` : `frame ${frame}, which another page already has`}`);
    seen[frame] = 1;
  }
  return { kind: 'explicit', run: 0, spec: 'explicit', physical };
}

/**
 * A full permutation from the frames of some pages: `frames[i]` is the frame of workload page
 * `first + i`; every other workload page takes the frames left over, in ascending order (so
 * kernel and zero pages fill the rest of memory around the placed buffer).
 */
export function placeAround(frames: Uint32Array, first: number, pageCount: number): Uint32Array {
  const physical = new Uint32Array(pageCount);
  const taken = new Uint8Array(pageCount);
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    if (frame >= pageCount || taken[frame] === 1) throw new Error(`placement: frame ${frame} of buffer page ${i} is beyond the guest or given twice`);
    taken[frame] = 1;
    physical[first + i] = frame;
  }
  let free = 0;
  for (let page = 0; page < pageCount; page++) {
    if (page >= first && page < first + frames.length) continue;
    while (taken[free] === 1) free++;
    physical[page] = free++;
  }
  return physical;
}

/** Workloads that stand for a guest program: their pages are placed as a kernel would. */
export const GUEST_PROGRAM_WORKLOADS: readonly string[] = ['qemu-age-test', 'hotset', 'uniform', 'zipf', 'scan'];

/** Seed stream of the placement permutation (distinct from the workload's own streams). */
const PLACEMENT_STREAM = 0x9e37;

export function parsePlacement(text: string): Placement {
  const spec = String(text).trim().toLowerCase();
  if (spec === 'identity') return { kind: 'identity', run: 0, spec };
  if (spec === 'random') return { kind: 'random', run: 1, spec };
  const match = /^runs:([0-9]+)$/.exec(spec);
  if (match) {
    const run = Number(match[1]);
    if (!Number.isSafeInteger(run) || run < 1) throw new Error(`placement "${text}": the run length must be an integer >= 1`);
    return run === 1 ? { kind: 'random', run: 1, spec: 'random' } : { kind: 'runs', run, spec: `runs:${run}` };
  }
  throw new Error(`unknown placement "${text}"; valid: identity, random, runs:N (N pages per run)`);
}

/** `random` for a workload spec naming a guest program, `identity` otherwise (traces, scenarios, idle, compositions). */
export function defaultPlacement(workloadSpec: string): Placement {
  const name = workloadSpec.split(':', 1)[0]!.trim().toLowerCase();
  return GUEST_PROGRAM_WORKLOADS.includes(name) && splitComposition(workloadSpec).length === 1 ? parsePlacement('random') : parsePlacement('identity');
}

/**
 * physical[p] = the guest-physical page of workload page p, or null for identity. The
 * permutation of runs is a Fisher-Yates shuffle of the run indices; a last partial run keeps
 * its length.
 */
export function buildPlacement(placement: Placement, pageCount: number, seed: number): Uint32Array | null {
  if (placement.kind === 'identity') return null;
  if (placement.kind === 'explicit') return placement.physical!;
  const run = Math.min(placement.run, pageCount);
  const runs = Math.ceil(pageCount / run);
  const order = new Uint32Array(runs);
  for (let index = 0; index < runs; index++) order[index] = index;
  const rng = new Xoshiro128(deriveSeed(seed, PLACEMENT_STREAM));
  for (let index = runs - 1; index > 0; index--) {
    const other = rng.nextBelow(index + 1);
    const swap = order[index]!;
    order[index] = order[other]!;
    order[other] = swap;
  }
  // Lay the runs out in shuffled order: run order[k] goes to the k-th position.
  const physical = new Uint32Array(pageCount);
  let next = 0;
  for (let k = 0; k < runs; k++) {
    const first = order[k]! * run;
    const end = Math.min(pageCount, first + run);
    for (let page = first; page < end; page++) physical[page] = next++;
  }
  return physical;
}

/** The inverse permutation: workload page at each guest-physical page. */
export function invertPlacement(physical: Uint32Array): Uint32Array {
  const inverse = new Uint32Array(physical.length);
  for (let page = 0; page < physical.length; page++) inverse[physical[page]!] = page;
  return inverse;
}

/** Distinct direct-mapped cache slots (slot = physical page mod slots) used by `pages` (tests, reports). */
export function slotsUsed(pages: readonly number[], physical: Uint32Array | null, slots: number): number {
  const used = new Uint8Array(slots);
  let count = 0;
  for (const page of pages) {
    const slot = (physical === null ? page : physical[page]!) % slots;
    if (used[slot] === 0) {
      used[slot] = 1;
      count++;
    }
  }
  return count;
}
