/**
 * The contract every workload honours (issue #4). A workload owns only its own state: it
 * fills a guest memory image with initial content, then mutates it as simulated time
 * advances, reporting each page it writes. Same spec and seed, same bytes.
 */
import type { DirtyTracker, GuestMemory } from './memory.js';

export interface Workload {
  /** Normalised spec, e.g. `zipf:skew=0.9,rate=20000`. */
  readonly spec: string;
  /** The seed every random choice derives from (reported with results). */
  readonly seed: number;
  /** Writes the initial content of the image (time 0). */
  init(memory: GuestMemory): void;
  /**
   * Applies every write due in (current time, untilMs] and reports each written page to
   * `dirty`. Time only moves forward; calls with untilMs <= the current time do nothing.
   */
  advance(memory: GuestMemory, untilMs: number, dirty: DirtyTracker): void;
  /** Parameters as resolved (defaults filled in), for result rows. */
  describe(): Record<string, string | number | boolean>;
  /**
   * Called when a migration stopped the guest at `stopMs` (after advancing it there): what
   * about the workload makes the result suspect (e.g. a replayed trace that had ended), one
   * sentence each. Workloads without limits leave it out.
   */
  limits?(stopMs: number, downtimeLimitMs: number): string[];
}

export interface WorkloadOptions {
  pageCount: number;
  pageSize?: number;
  seed?: number;
}
