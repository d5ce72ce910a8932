// Early smoke tests with test-local stand-ins (replaced by the registries once merged).
import { describe, expect, it } from 'vitest';
import type { PageCache } from '../caches/cache.js';
import { simulateMigration } from '../harness/migration.js';
import type { DirtyTracker, GuestMemory } from '../workloads/memory.js';
import { SplitMix64 } from '../workloads/splitmix64.js';
import type { Workload } from '../workloads/workload.js';

class Idle implements Workload {
  readonly spec = 'idle';
  constructor(readonly seed = 1) {}
  init(memory: GuestMemory): void {
    const rng = new SplitMix64(this.seed);
    for (const chunk of memory.chunks) rng.fill(chunk);
  }
  advance(): void {}
  describe() { return {}; }
}

class Uniform implements Workload {
  readonly spec = 'uniform';
  private now = 0;
  private done = 0;
  private rng: SplitMix64;
  constructor(private readonly rate: number, readonly seed = 1) { this.rng = new SplitMix64(seed + 7); }
  init(memory: GuestMemory): void {
    const rng = new SplitMix64(this.seed);
    for (const chunk of memory.chunks) rng.fill(chunk);
  }
  advance(memory: GuestMemory, untilMs: number, dirty: DirtyTracker): void {
    if (untilMs <= this.now) return;
    this.now = untilMs;
    const due = Math.floor((untilMs * this.rate) / 1000);
    for (; this.done < due; this.done++) {
      const page = Number(this.rng.next() % BigInt(memory.pageCount));
      const chunk = memory.chunks[page >>> memory.chunkShift]!;
      chunk[(page & memory.chunkMask) * memory.pageSize + 100]! ^= 1;
      dirty.markDirty(page);
    }
  }
  describe() { return {}; }
}

class DirectMapped implements PageCache {
  readonly spec: string;
  private readonly keys: Float64Array;
  private readonly ages: Float64Array;
  private readonly slab: Uint8Array;
  private generation = 0;
  constructor(readonly capacityPages: number, readonly pageSize: number, private readonly age: boolean) {
    this.spec = age ? 'qemu' : 'qemu-noage';
    this.keys = new Float64Array(capacityPages).fill(-1);
    this.ages = new Float64Array(capacityPages);
    this.slab = new Uint8Array(capacityPages * pageSize);
  }
  lookup(page: number): number {
    const slot = page & (this.capacityPages - 1);
    if (this.keys[slot] === page) { this.ages[slot] = this.generation; return slot; }
    return -1;
  }
  insert(page: number, data?: Uint8Array): number {
    const slot = page & (this.capacityPages - 1);
    if (this.age && this.keys[slot] !== page && this.keys[slot] !== -1 && this.ages[slot]! + 2 > this.generation) return -1;
    this.keys[slot] = page;
    this.ages[slot] = this.generation;
    if (data) this.slab.set(data, slot * this.pageSize);
    return slot;
  }
  data(slot: number): Uint8Array { return this.slab.subarray(slot * this.pageSize, (slot + 1) * this.pageSize); }
  nextGeneration(): void { this.generation++; }
  stats() { return { lookups: 0, hits: 0, misses: 0, inserts: 0, refused: 0, evictions: 0 }; }
}


describe('perf', () => {
  it('1G uniform xbzrle', () => {
    const pages = 262144;
    const cache = new DirectMapped(16384, 4096, true);
    const t0 = performance.now();
    const r = simulateMigration({ workload: new Uniform(20000), ramBytes: pages * 4096, codec: 'xbzrle', cache });
    console.log('wall', performance.now() - t0, r.totalTimeMs, r.rounds, r.downtimeMs, process.resourceUsage().maxRSS);
  });
  it('Liu', () => {
    const pages = 65536; const M = pages*4096; const R = 1.25e8; const lambda = 0.05;
    const r = simulateMigration({ workload: new Uniform(lambda*R/4096), ramBytes: M, codec: 'none', wireHeaders: false, downtimeLimitMs: 1, maxBandwidthBps: 0 });
    let n = 1; while (M*lambda**n >= R/1000) n++;
    console.log(n, r.rounds, r.totalTimeMs, (M/R)*(1-lambda**(n+1))/(1-lambda)*1000, r.downtimeMs, M*lambda**n/R*1000, r.timeline.map(e=>e.wireBytes), r.timeline.map((e,i)=>M*lambda**i));
  });
});
