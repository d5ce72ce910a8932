/**
 * `trace:FILE`: any trace as a workload. Content traces: the first epoch is the initial
 * image (written by init(), not reported dirty); each later epoch is applied at
 * (time - first epoch's time) x scale, its pages reported dirty (including pages written
 * with unchanged bytes). Access-only and text traces: each access at (time - first time) x
 * scale changes `bytes` bytes of its page in runs of `run` at random offsets (seeded), over initial content
 * from `content=`. Trace page p is guest page region.first + p. The file is streamed: memory
 * does not grow with its length.
 *
 * Replay parameters: `start=MS` skips the first MS ms of trace time (content traces: folded
 * into the initial image); `loop=true` repeats the section from there when the trace ends (a
 * content loop re-applies each epoch's XOR changes on top of the current bytes: the changed
 * bytes of every write are the trace's, the absolute bytes differ from the first pass);
 * `spread=true` applies an epoch's pages one by one over the interval since the previous
 * epoch instead of all at its time. The replay knows the trace's limits: limits() tells a
 * migration that it outlived the trace, or that its stop fell in a snapshot gap longer than
 * the downtime limit (the guest looked idle there only because nothing was recorded).
 */
import { COMMON_PARAMS, readBytesPerWrite, readCommon, readRun, RUN_PARAM, validKeys, type WorkloadDefinition } from '../definition.js';
import { checkGeometry } from '../generator.js';
import type { DirtyTracker, GuestMemory } from '../memory.js';
import { type ContentSpec, fillRegion, type Region } from '../content.js';
import { deriveSeed, Xoshiro128 } from '../prng.js';
import { PAGE_UNCHANGED, PAGE_ZERO, TIME_UNITS, TraceError, type TimeUnit } from './format.js';
import { MemoryTarget, OffsetTarget, type PageTarget, TraceFileReader } from './reader.js';
import { RECORD_EPOCH } from './format.js';
import { TraceSource } from './source.js';
import { PAGES_PER_RECORD } from './writer.js';
import { validateTraceFile } from './validate.js';
import type { Workload } from '../workload.js';

/**
 * Spread replay: one epoch record decoded as XOR deltas into slots (entry i in slot i, over
 * zeros), then applied to the guest page by page as their time comes.
 */
class SlotTarget implements PageTarget {
  private slotWords: Int32Array;
  private slotBytes: Uint8Array;
  private readonly pageWords: number;
  /** Slots zero-filled for the record being decoded: 0..filled-1. */
  private filled = 0;
  kinds: Uint8Array = new Uint8Array(0);
  pages: Float64Array = new Float64Array(0);

  constructor(pageSize: number) {
    this.pageWords = pageSize >>> 2;
    this.slotWords = new Int32Array(PAGES_PER_RECORD * this.pageWords);
    this.slotBytes = new Uint8Array(this.slotWords.buffer);
  }

  /** Before decoding a record. */
  begin(): this {
    this.filled = 0;
    return this;
  }

  /** Room for a record of `entries` entries (more slots for a record longer than writers make), before any is looked up. */
  reserve(entries: number): void {
    const needed = entries * this.pageWords;
    if (needed <= this.slotWords.length) return;
    const grown = new Int32Array(Math.max(needed, 2 * this.slotWords.length));
    grown.set(this.slotWords.subarray(0, this.filled * this.pageWords));
    this.slotWords = grown;
    this.slotBytes = new Uint8Array(grown.buffer);
  }

  /** Slot `entry` (zero-filled on first use in this record). */
  words(_page: number, entry: number): Int32Array {
    if (entry >= this.filled) {
      const needed = (entry + 1) * this.pageWords;
      if (needed > this.slotWords.length) this.reserve(entry + 1); // without a reserve() call first
      this.slotWords.fill(0, this.filled * this.pageWords, needed);
      this.filled = entry + 1;
    }
    return this.slotWords;
  }

  wordOffset(_page: number, entry: number): number {
    return entry * this.pageWords;
  }

  bytes(page: number, entry: number): Uint8Array {
    this.words(page, entry);
    return this.slotBytes;
  }

  /** A slot is zero-filled for its entry: always fresh. */
  touch(page: number, entry: number): boolean {
    this.words(page, entry);
    return true;
  }

  /** Applies entry `index` to the guest page it names. */
  apply(index: number, target: PageTarget): void {
    const page = this.pages[index]!;
    const kind = this.kinds[index]!;
    if (kind === PAGE_UNCHANGED) return;
    const words = target.words(page, index);
    const base = target.wordOffset(page, index);
    const words0 = this.pageWords;
    if (kind === PAGE_ZERO) {
      words.fill(0, base, base + words0);
      return;
    }
    const from = index * words0;
    for (let word = 0; word < words0; word++) words[base + word] ^= this.slotWords[from + word]!;
  }
}

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
  // trace limits: trace time (ms from the origin) of the section's start and of the last epoch seen
  private startMs = 0;
  private lastEpochMs = 0;
  private previousEpochReplayMs = Number.NaN;
  private loops = 0;
  /** Replay time added by the loops so far, and the length of one pass of the section. */
  private loopOffsetMs = 0;
  private sectionMs = 0;
  private traceEndedAtMs = Number.NaN;
  // spread: the epoch being applied page by page
  private readonly slots: SlotTarget | undefined;
  private lookahead: TraceFileReader | undefined;
  private pendingCount = 0;
  private pendingNext = 0;
  private pendingFromMs = 0;
  private pendingToMs = 0;
  private epochTotal = 0;
  private epochDone = 0;

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
    private readonly textTimeUnit: TimeUnit,
    private readonly skipMs: number,
    private readonly loop: boolean,
    private readonly spread: boolean,
  ) {
    this.source = new TraceSource(path, { textTimeUnit, textPageSize: pageSize });
    this.unitMs = TIME_UNITS[this.source.header.timeUnit];
    this.rng = new Xoshiro128(deriveSeed(seed, 2));
    const header = this.source.header;
    if (header.kind === 'content') {
      if (header.pageSize !== pageSize) throw new TraceError(`trace ${path} has ${header.pageSize}-byte pages, the guest has ${pageSize}-byte pages`);
      if (header.pageCount === 0 && !header.complete) {
        throw new TraceError(`trace ${path} was never closed by its writer and declares no page count: its pages cannot be checked against the guest`);
      }
      if (header.pageCount > region.count) {
        throw new TraceError(`trace ${path} has ${header.pageCount} pages, more than the ${region.count} pages given to it (use a larger guest)`);
      }
      if (spread) {
        this.slots = new SlotTarget(pageSize);
        this.lookahead = new TraceFileReader(path);
      }
    } else if (spread) {
      throw new TraceError(`trace ${path}: spread=true is for content traces (access traces already place each access at its own time)`);
    }
  }

  init(memory: GuestMemory): void {
    checkGeometry(memory, this.region, this.pageSize, this.spec);
    if (this.targetMemory !== memory) {
      this.targetMemory = memory;
      const inner = new MemoryTarget(memory);
      const first = this.region.first;
      // Trace page p lives at guest page first + p.
      this.target = first === 0 ? inner : new OffsetTarget(inner, first);
    }
    this.source.rewind();
    this.nowMs = 0;
    this.finished = false;
    this.accessCursor = 0;
    this.accessCount = 0;
    this.rng.reseed(deriveSeed(this.seed, 2));
    this.loops = 0;
    this.loopOffsetMs = 0;
    this.previousEpochReplayMs = Number.NaN;
    this.traceEndedAtMs = Number.NaN;
    this.pendingCount = 0;
    this.pendingNext = 0;
    if (this.lookahead) this.lookahead.rewind();
    if (this.source.header.kind === 'content') {
      fillRegion(memory, this.region, { kind: 'zero', zeroFraction: 0, textFraction: 0 }, this.rng, this.seed);
      const first = this.source.peekTime();
      this.origin = first ?? 0;
      // The first epoch (all its records) is the initial image, and so is every epoch before start=.
      let initial = true;
      for (;;) {
        const time = this.source.peekTime();
        if (time === undefined) break;
        if (!initial && (time - this.origin) * this.unitMs >= this.skipMs) break;
        const batch = this.source.next(this.target)!;
        this.skipLookahead();
        this.lastEpochMs = (batch.time - this.origin) * this.unitMs;
        if (!batch.continued) initial = false;
      }
      this.startMs = this.source.peekTime() === undefined ? this.lastEpochMs : Math.max(this.skipMs, this.lastEpochMs);
      this.previousEpochReplayMs = 0;
    } else {
      fillRegion(memory, this.region, this.content, new Xoshiro128(deriveSeed(this.seed, 1)), this.seed);
      this.origin = Number.NaN; // set by the first access
      this.startMs = this.skipMs;
    }
  }

  /** Keeps the look-ahead reader (spread) at the main reader's record. */
  private skipLookahead(): void {
    if (!this.lookahead) return;
    for (;;) {
      const record = this.lookahead.next();
      if (!record || record.type === RECORD_EPOCH) return;
    }
  }

  /** Spread: entries of the epoch starting at the look-ahead reader's position (all its records). */
  private countEpochEntries(): number {
    const reader = this.lookahead!;
    let total = 0;
    const saved = reader.savePosition();
    for (;;) {
      const record = reader.next();
      if (!record) break;
      if (record.type !== RECORD_EPOCH) continue;
      total += new DataView(record.payload.buffer, record.payload.byteOffset + 8, 4).getUint32(0, true);
      if (!TraceFileReader.continued(record)) break;
    }
    reader.restorePosition(saved);
    return total;
  }

  limits(stopMs: number, downtimeLimitMs: number): string[] {
    // What the migration did not reach is read now, so a corrupt tail fails here as it would
    // have failed a slower migration that read it (throws the reader's TraceError).
    if (!this.finished) validateTraceFile(this.path, { textTimeUnit: this.textTimeUnit, textPageSize: this.pageSize });
    const warnings: string[] = [];
    if (!this.loop && Number.isFinite(this.traceEndedAtMs) && stopMs > this.traceEndedAtMs) {
      warnings.push(
        `the migration outlived the trace: its stop at ${stopMs.toFixed(0)} ms came after the trace's last write at ${this.traceEndedAtMs.toFixed(0)} ms (the guest was idle from there: use loop=true or a longer trace)`,
      );
    }
    // The guest ran up to the stop: the last epoch applied and the next one bound the gap it fell in.
    const next = this.finished || this.source.header.kind !== 'content' ? undefined : this.source.peekTime();
    if (next !== undefined && Number.isFinite(this.previousEpochReplayMs)) {
      const from = this.previousEpochReplayMs;
      const to = this.replayMs(next);
      if (to - from > downtimeLimitMs && stopMs >= from && stopMs < to) {
        warnings.push(
          `the migration stopped at ${stopMs.toFixed(0)} ms inside a ${(to - from).toFixed(0)} ms gap between the trace's snapshots (${from.toFixed(0)}..${to.toFixed(0)} ms), longer than the ${downtimeLimitMs} ms downtime limit: the guest looked idle only because nothing was recorded there`,
        );
      }
    }
    return warnings;
  }

  advance(memory: GuestMemory, untilMs: number, dirty: DirtyTracker): void {
    if (!(untilMs > this.nowMs) || this.finished) return;
    this.nowMs = untilMs;
    if (!this.target) throw new Error(`workload ${this.spec}: advance() before init()`);
    if (this.source.header.kind === 'content') this.advanceContent(untilMs, dirty);
    else this.advanceAccesses(memory, untilMs, dirty);
  }

  /** Replay time (ms) of trace time `time` (trace units), in the current loop. */
  private replayMs(time: number): number {
    return ((time - this.origin) * this.unitMs - this.startMs) * this.scale + this.loopOffsetMs;
  }

  /** At the end of the trace: loop (rewind to the section's start) or finish. Returns whether to go on. */
  private endOfTrace(): boolean {
    const lastReplayMs = (this.lastEpochMs - this.startMs) * this.scale + this.loopOffsetMs;
    if (!this.loop) {
      this.traceEndedAtMs = lastReplayMs;
      this.finished = true;
      return false;
    }
    // One pass of the section lasts from its start to its last epoch plus one mean gap.
    if (this.loops === 0) {
      const epochs = Math.max(1, this.sectionEpochs);
      this.sectionMs = ((this.lastEpochMs - this.startMs) * this.scale) * (1 + 1 / epochs);
      if (!(this.sectionMs > 0)) {
        this.finished = true;
        this.traceEndedAtMs = lastReplayMs;
        return false;
      }
    }
    this.loops++;
    this.loopOffsetMs += this.sectionMs;
    this.source.rewind();
    if (this.lookahead) this.lookahead.rewind();
    // Skip to the section's start without decoding (its content is already in memory).
    for (;;) {
      const time = this.source.peekTime();
      if (time === undefined) break;
      if ((time - this.origin) * this.unitMs >= this.startMs && (time - this.origin) * this.unitMs > 0) break;
      this.source.skip();
      this.skipLookahead();
    }
    this.sectionEpochs = 0;
    return true;
  }

  private sectionEpochs = 0;

  private noteEpoch(replayMs: number): void {
    this.previousEpochReplayMs = replayMs;
  }

  private advanceContent(untilMs: number, dirty: DirtyTracker): void {
    const first = this.region.first;
    for (;;) {
      if (this.pendingNext < this.pendingCount) {
        // Spread: apply the pending entries due by now.
        const slots = this.slots!;
        const span = this.pendingToMs - this.pendingFromMs;
        while (this.pendingNext < this.pendingCount) {
          const at = this.pendingFromMs + (span * (this.epochDone + 1)) / Math.max(1, this.epochTotal);
          if (at > untilMs) return;
          slots.apply(this.pendingNext, this.target!);
          dirty.markDirty(first + slots.pages[this.pendingNext]!);
          this.pendingNext++;
          this.epochDone++;
        }
      }
      const time = this.source.peekTime();
      if (time === undefined) {
        if (!this.endOfTrace()) return;
        continue;
      }
      const replayMs = this.replayMs(time);
      if (this.slots) {
        // Spread: an epoch's pages go over (previous epoch, this epoch].
        if (this.epochDone >= this.epochTotal) {
          const from = Number.isFinite(this.previousEpochReplayMs) ? this.previousEpochReplayMs : replayMs;
          if (from > untilMs) return;
          this.epochTotal = this.countEpochEntries();
          this.epochDone = 0;
          this.pendingFromMs = from;
          this.pendingToMs = replayMs;
          this.noteEpoch(replayMs);
          this.sectionEpochs++;
          this.lastEpochMs = (time - this.origin) * this.unitMs;
        }
        const batch = this.source.next(this.slots.begin())!;
        this.skipLookahead();
        this.slots.kinds = batch.kinds!;
        this.slots.pages = batch.pages;
        this.pendingCount = batch.count;
        this.pendingNext = 0;
        continue;
      }
      if (replayMs > untilMs) return;
      const batch = this.source.next(this.target)!;
      if (!batch.continued) {
        this.noteEpoch(replayMs);
        this.sectionEpochs++;
      }
      this.lastEpochMs = (time - this.origin) * this.unitMs;
      const pages = batch.pages;
      for (let i = 0; i < batch.count; i++) dirty.markDirty(first + pages[i]!);
    }
  }

  private advanceAccesses(memory: GuestMemory, untilMs: number, dirty: DirtyTracker): void {
    const { chunks, chunkShift, chunkMask } = memory;
    const { first, count: regionPages } = this.region;
    for (;;) {
      if (this.accessCursor >= this.accessCount) {
        const batch = this.source.next();
        if (!batch) {
          if (!this.loop || !Number.isFinite(this.origin) || !(this.lastAccessMs > this.startMs)) {
            this.finished = true;
            this.traceEndedAtMs = (this.lastAccessMs - this.startMs) * this.scale + this.loopOffsetMs;
            return;
          }
          if (this.loops === 0) this.sectionMs = (this.lastAccessMs - this.startMs) * this.scale;
          this.loops++;
          this.loopOffsetMs += this.sectionMs;
          this.source.rewind();
          continue;
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
        const traceMs = (times[i]! - this.origin) * this.unitMs;
        if (traceMs < this.startMs) {
          this.accessCursor++;
          continue;
        }
        if ((traceMs - this.startMs) * this.scale + this.loopOffsetMs > untilMs) return;
        this.lastAccessMs = traceMs;
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

  private lastAccessMs = 0;

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
    start: 'skip this many ms of trace time first (content: folded into the initial image; default 0)',
    loop: 'repeat the trace (from start=) when it ends (default false: the guest goes idle)',
    spread: "content traces: apply an epoch's pages one by one over the interval since the previous epoch (default false: all at its time)",
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
    const start = params.number('start', 0, { min: 0 });
    const loop = params.boolean('loop', false);
    const spread = params.boolean('spread', false);
    params.done(validKeys(traceReplay));
    const resolved = { file: path, ...params.resolved };
    const spec = `trace:${path}${Object.keys(params.resolved).length > 0 ? `,${Object.entries(params.resolved).map(([k, v]) => `${k}=${v}`).join(',')}` : ''}`;
    return new TraceReplay(spec, common.seed, path, common.region, context.pageSize, scale, bytes, common.content, fold, run, resolved, unit, start, loop, spread);
  },
};
