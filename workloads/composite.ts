/**
 * Several workloads at once, e.g. `hotset:region=0:50%,hot=1000 + scan:region=50%:50%`.
 * init() runs each part's init in order (a later part's content wins where regions
 * overlap); advance() advances each part to the same time, in order. On disjoint regions
 * the bytes do not depend on how the caller steps through time; on overlapping regions the
 * parts' writes within one advance() call are applied part by part.
 */
import type { DirtyTracker, GuestMemory } from './memory.js';
import type { Workload } from './workload.js';

export class CompositeWorkload implements Workload {
  readonly spec: string;

  constructor(
    readonly parts: readonly Workload[],
    readonly seed: number,
  ) {
    this.spec = parts.map((part) => part.spec).join(' + ');
  }

  init(memory: GuestMemory): void {
    for (const part of this.parts) part.init(memory);
  }

  advance(memory: GuestMemory, untilMs: number, dirty: DirtyTracker): void {
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) parts[i]!.advance(memory, untilMs, dirty);
  }

  limits(stopMs: number, downtimeLimitMs: number): string[] {
    return this.parts.flatMap((part) => part.limits?.(stopMs, downtimeLimitMs) ?? []);
  }

  describe(): Record<string, string | number | boolean> {
    const description: Record<string, string | number | boolean> = { workload: 'composite', parts: this.parts.length, seed: this.seed };
    this.parts.forEach((part, index) => {
      for (const [key, value] of Object.entries(part.describe())) description[`${index}.${key}`] = value;
    });
    return description;
  }
}
