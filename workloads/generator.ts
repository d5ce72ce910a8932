/**
 * The common skeleton of the synthetic generators: a region of the guest, an initial
 * content, and a constant event rate. Event j (j = 1, 2, ...) happens at simulated time
 * j / rate seconds; `advance(untilMs)` applies every event due by then, in order, so the bytes
 * at time T do not depend on how the caller stepped to T. When nothing is due, advance costs
 * one multiplication and a comparison.
 */
import { type ContentSpec, fillRegion, type Region } from './content.js';
import type { DirtyTracker, GuestMemory } from './memory.js';
import { deriveSeed, Xoshiro128 } from './prng.js';
import type { Workload } from './workload.js';

export interface GeneratorSetup {
  spec: string;
  seed: number;
  region: Region;
  content: ContentSpec;
  pageSize: number;
  /** Events per second of simulated time (0: never). */
  rate: number;
  params: Record<string, string | number | boolean>;
}

export abstract class Generator implements Workload {
  readonly spec: string;
  readonly seed: number;
  readonly region: Region;
  readonly content: ContentSpec;
  readonly pageSize: number;
  readonly rate: number;
  private readonly params: Record<string, string | number | boolean>;
  /** Drives the writes; reset by init() so that a workload can be replayed from the start. */
  protected readonly rng: Xoshiro128;
  private nowMs = 0;
  private eventsDone = 0;

  constructor(setup: GeneratorSetup) {
    this.spec = setup.spec;
    this.seed = setup.seed;
    this.region = setup.region;
    this.content = setup.content;
    this.pageSize = setup.pageSize;
    this.rate = setup.rate;
    this.params = setup.params;
    this.rng = new Xoshiro128(deriveSeed(setup.seed, 2));
  }

  init(memory: GuestMemory): void {
    checkGeometry(memory, this.region, this.pageSize, this.spec);
    fillRegion(memory, this.region, this.content, new Xoshiro128(deriveSeed(this.seed, 1)), this.seed);
    this.rng.reseed(deriveSeed(this.seed, 2));
    this.nowMs = 0;
    this.eventsDone = 0;
    this.reset(memory);
  }

  advance(memory: GuestMemory, untilMs: number, dirty: DirtyTracker): void {
    if (!(untilMs > this.nowMs)) return;
    this.nowMs = untilMs;
    // The small epsilon keeps exact products (e.g. 1000 ms x 20000/s) from rounding down.
    const due = Math.floor((untilMs * this.rate) / 1000 + 1e-9);
    const count = due - this.eventsDone;
    if (count <= 0) return;
    this.eventsDone = due;
    this.apply(memory, count, dirty);
  }

  describe(): Record<string, string | number | boolean> {
    return { workload: this.spec.split(':')[0]!, ...this.params, seed: this.seed };
  }

  /** Events applied so far (for tests and reports). */
  get events(): number {
    return this.eventsDone;
  }

  /** Resets generator state after the initial content is written. */
  protected reset(_memory: GuestMemory): void {}

  /** Applies the next `count` events. */
  protected abstract apply(memory: GuestMemory, count: number, dirty: DirtyTracker): void;
}

export function checkGeometry(memory: GuestMemory, region: Region, pageSize: number, spec: string): void {
  if (memory.pageSize !== pageSize) throw new Error(`workload ${spec} was created for ${pageSize}-byte pages, the memory has ${memory.pageSize}-byte pages`);
  if (region.first + region.count > memory.pageCount) {
    throw new Error(`workload ${spec} needs pages ${region.first}..${region.first + region.count - 1}, the memory has ${memory.pageCount} pages`);
  }
}
