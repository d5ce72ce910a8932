/**
 * `trace:FILE`: any trace as a workload. Content traces: the first epoch is the initial
 * image (written by init(), not reported dirty); each later epoch is applied at
 * (time - first epoch's time) x scale, its pages reported dirty (including pages written
 * with unchanged bytes). Access-only and text traces: each access at (time - first time) x
 * scale changes `bytes` bytes of its page in runs of `run` at random offsets (seeded), over initial content
 * from `content=`. Trace page p is guest page region.first + p. The file is streamed: memory
 * does not grow with its length.
 */
import { COMMON_PARAMS, readBytesPerWrite, readCommon, readRun, RUN_PARAM, validKeys, type WorkloadDefinition } from '../definition.js';
import { checkGeometry } from '../generator.js';
import type { DirtyTracker, GuestMemory } from '../memory.js';
import { type ContentSpec, fillRegion, type Region } from '../content.js';
import { deriveSeed, Xoshiro128 } from '../prng.js';
import { TIME_UNITS, TraceError, type TimeUnit } from './format.js';
import { MemoryTarget, type PageTarget } from './reader.js';
import { TraceSource } from './source.js';
import type { Workload } from '../workload.js';

class TraceReplay implements Workload {
  readonly source: TraceSource;
  private target: PageTarget | undefined;
  private targetMemory: GuestMemory | undefined;
  private readonly rng: Xoshiro128;
  private readonly unitMs: number;
  private origin = 0;
  private nowMs = 0;
  private finished = false;
  // access traces: the current batch and the next access in it
  private accessCursor = 0;
  private accessCount = 0;
  private accessTimes: Float64Array = new Float64Array(0);
  private accessPages: Float64Array = new Float64Array(0);

  constructor(
    readonly spec: string,
    readonly seed: number,
    readonly path: string,
    private readonly region: Region,
    private readonly pageSize: number,
    private readonly scale: number,
    private readonly bytesPerWrite: number,
    private readonly content: ContentSpec,
    private readonly fold: boolean,
    private readonly run: number,
    private readonly params: Record<string, string | number | boolean>,
    textTimeUnit: TimeUnit,
  ) {
    this.source = new TraceSource(path, { textTimeUnit, textPageSize: pageSize });
    this.unitMs = TIME_UNITS[this.source.header.timeUnit];
    this.rng = new Xoshiro128(deriveSeed(seed, 2));
    const header = this.source.header;
    if (header.kind === 'content') {
      if (header.pageSize !== pageSize) throw new TraceError(`trace ${path} has ${header.pageSize}-byte pages, the guest has ${pageSize}-byte pages`);
      if (header.pageCount > region.count) {
        throw new TraceError(`trace ${path} has ${header.pageCount} pages, more than the ${region.count} pages given to it (use a larger guest)`);
      }
    }
  }

  init(memory: GuestMemory): void {
    checkGeometry(memory, this.region, this.pageSize, this.spec);
    if (this.targetMemory !== memory) {
      this.targetMemory = memory;
      const inner = new MemoryTarget(memory);
      const first = this.region.first;
      // Trace page p lives at guest page first + p.
      this.target = first === 0 ? inner : { words: (page) => inner.words(page + first), wordOffset: (page) => inner.wordOffset(page + first) };
    }
    this.source.rewind();
    this.nowMs = 0;
    this.finished = false;
    this.accessCursor = 0;
    this.accessCount = 0;
    this.rng.reseed(deriveSeed(this.seed, 2));
    if (this.source.header.kind === 'content') {
      fillRegion(memory, this.region, { kind: 'zero', zeroFraction: 0, textFraction: 0 }, this.rng, this.seed);
      const first = this.source.peekTime();
      this.origin = first ?? 0;
      // The first epoch (all its records) is the initial image.
      for (;;) {
        const batch = this.source.next(this.target);
        if (!batch || !batch.continued) break;
      }
    } else {
      fillRegion(memory, this.region, this.content, new Xoshiro128(deriveSeed(this.seed, 1)), this.seed);
      this.origin = Number.NaN; // set by the first access
    }
  }

  advance(memory: GuestMemory, untilMs: number, dirty: DirtyTracker): void {
    if (!(untilMs > this.nowMs) || this.finished) return;
    this.nowMs = untilMs;
    if (!this.target) throw new Error(`workload ${this.spec}: advance() before init()`);
    if (this.source.header.kind === 'content') this.advanceContent(untilMs, dirty);
    else this.advanceAccesses(memory, untilMs, dirty);
  }

  private advanceContent(untilMs: number, dirty: DirtyTracker): void {
    const scaleMs = this.unitMs * this.scale;
    const first = this.region.first;
    for (;;) {
      const time = this.source.peekTime();
      if (time === undefined) {
        this.finished = true;
        return;
      }
      if ((time - this.origin) * scaleMs > untilMs) return;
      const batch = this.source.next(this.target)!;
      const pages = batch.pages;
      for (let i = 0; i < batch.count; i++) dirty.markDirty(first + pages[i]!);
    }
  }

  private advanceAccesses(memory: GuestMemory, untilMs: number, dirty: DirtyTracker): void {
    const scaleMs = this.unitMs * this.scale;
    const { chunks, chunkShift, chunkMask } = memory;
    const { first, count: regionPages } = this.region;
    for (;;) {
      if (this.accessCursor >= this.accessCount) {
        const batch = this.source.next();
        if (!batch) {
          this.finished = true;
          return;
        }
        this.accessCursor = 0;
        this.accessCount = batch.count;
        this.accessTimes = batch.times!;
        this.accessPages = batch.pages;
        if (Number.isNaN(this.origin)) this.origin = batch.times![0]!;
      }
      const times = this.accessTimes;
      const pages = this.accessPages;
      while (this.accessCursor < this.accessCount) {
        const i = this.accessCursor;
        if ((times[i]! - this.origin) * scaleMs > untilMs) return;
        let page = pages[i]!;
        if (page >= regionPages) {
          if (!this.fold) throw new TraceError(`trace ${this.path}: page ${page} is beyond the ${regionPages} guest pages given to it (add fold=true to wrap page numbers)`);
          page %= regionPages;
        }
        page += first;
        const chunk = chunks[page >>> chunkShift]!;
        const offset = (page & chunkMask) * this.pageSize;
        if (this.bytesPerWrite === 0) this.rng.scatterRuns(chunk, offset, this.pageSize, this.pageSize, this.pageSize);
        else this.rng.scatterRuns(chunk, offset, this.pageSize, this.bytesPerWrite, this.run);
        dirty.markDirty(page);
        this.accessCursor++;
      }
    }
  }

  describe(): Record<string, string | number | boolean> {
    const header = this.source.header;
    return {
      workload: 'trace',
      ...this.params,
      traceKind: header.kind,
      traceFormat: header.format,
      tracePages: header.pageCount,
      seed: this.seed,
    };
  }
}

export const traceReplay: WorkloadDefinition = {
  name: 'trace',
  description: 'replays a trace file (content, access-only or text/CSV) as a workload: trace:FILE[,scale=X]',
  params: {
    scale: 'simulated ms per trace ms (2 = twice as slow; default 1)',
    unit: 'text traces: unit of the time column, or per line when untimed (ns, us, ms, s; default us)',
    bytes: 'access traces: bytes changed per access, or "page" (default 16)',
    run: `access traces: ${RUN_PARAM}`,
    fold: 'access traces: wrap page numbers beyond the guest (default false: error)',
    ...COMMON_PARAMS,
  },
  create(params, context) {
    if (context.bare.length !== 1) params.fail(`expected trace:FILE, got ${context.bare.length === 0 ? 'no file' : `"${context.bare.join(',')}"`}`);
    const path = context.bare[0]!;
    const common = readCommon(params, context, 'mixed');
    const scale = params.number('scale', 1, { min: 0, minExclusive: true, max: 1000 });
    const unit = params.choice('unit', 'us', Object.keys(TIME_UNITS) as TimeUnit[]);
    const bytes = readBytesPerWrite(params, context.pageSize, 16);
    const run = readRun(params, context.pageSize, bytes);
    const fold = params.boolean('fold', false);
    params.done(validKeys(traceReplay));
    const resolved = { file: path, ...params.resolved };
    const spec = `trace:${path}${Object.keys(params.resolved).length > 0 ? `,${Object.entries(params.resolved).map(([k, v]) => `${k}=${v}`).join(',')}` : ''}`;
    return new TraceReplay(spec, common.seed, path, common.region, context.pageSize, scale, bytes, common.content, fold, run, resolved, unit);
  },
};
