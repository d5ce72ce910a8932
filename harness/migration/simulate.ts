/**
 * The simulated pre-copy live migration (docs/migration.md). Real codecs on real page bytes, a
 * real cache policy, a workload dirtying the guest in simulated time while pages are encoded
 * and sent, and a destination that decodes every record and must end equal to the source.
 *
 * The loop is QEMU 7.2's (docs/migration.md, "QEMU's loop"): iterations of at most 50 ms of
 * sending or one 100 ms window's max-bandwidth quota; before each, the stop check: when the
 * bytes still marked in the migration bitmap fall below bandwidth estimate x downtime limit,
 * the dirty log is synced, and if they are still below, the guest stops and the rest is sent
 * without the rate limit. The sender walks guest-physical memory with a cursor that carries
 * on across syncs and wraps at the end of memory; XBZRLE starts after the first wrap.
 *
 * Time model (ms of simulated time), per page i:
 *   encodeStart = max(encoder free, send done of page i - PIPELINE_DEPTH)  [pipeline]
 *               = max(encoder free, link free)                            [no pipeline]
 *   the workload runs up to encodeStart, then the page's content is read and encoded;
 *   encodeDone  = encodeStart + encode cost / encoder threads
 *   sendDone    = link.send(wire bytes, encodeDone)
 *   decodeDone  = max(decoder free, sendDone) + decode cost             [destination]
 * The sender's clock is encodeDone of its last page (the pipeline bounds how far it runs
 * ahead of the link).
 */
import type { PageCache } from '../../caches/cache.js';
import type { Codec } from '../../codecs/codec.js';
import { getCodec } from '../../codecs/registry.js';
import { DirtyBitmap, GuestMemory } from '../../workloads/memory.js';
import { deriveSeed, Xoshiro128 } from '../../workloads/prng.js';
import type { Workload } from '../../workloads/workload.js';
import { CpuModel } from './cpu.js';
import { chunkBuffers, Destination } from './destination.js';
import { Link, RateWindow } from './link.js';
import { DEFAULTS, type MigrationOptions, type ResolvedOptions, type RoundEntry, resolveOptions } from './options.js';
import { buildPlacement, defaultPlacement, explicitPlacement as givenPlacement, invertPlacement, type Placement, parsePlacement } from './placement.js';
import { checkCacheSpec, resolveCache, resolveWorkload } from './specs.js';
import { Counters, type MigrationResult } from './stats.js';

/** QEMU's per-page header: 8-byte address + flags word. */
const PAGE_HEADER = 8;
/** Pages the encoder may run ahead of the link (about QEMU's QEMUFile buffer plus socket buffers). */
const PIPELINE_DEPTH = 32;
/** QEMU's limit on one iteration of sending (MAX_WAIT), checked every 64 pages. */
const ITERATION_MS = 50;
/** QEMU computes its period rates at a sync once more than this has passed since the last time. */
const RATE_PERIOD_MS = 1000;
/** Auto-converge (QEMU defaults): trigger ratio, initial throttle, increment, maximum. */
const AC_TRIGGER = 0.5;
const AC_INITIAL = 0.2;
const AC_STEP = 0.1;
const AC_MAX = 0.99;
/** Seed stream of the background (guest kernel) writes. */
const BACKGROUND_STREAM = 0x6b65;

const STAGE_BULK = 0;
const STAGE_ITERATIVE = 1;
const STAGE_FINAL = 2;

/** Runs one simulated migration; throws on bad options and on any destination mismatch. */
export function simulateMigration(options: MigrationOptions): MigrationResult {
  const codecName = options.codec ?? DEFAULTS.codec;
  const codec = codecName === 'none' ? null : getCodec(codecName);
  const codecKind = codec === null ? 'none' : codec.kind;
  const mode = options.mode ?? 'qemu';
  const cacheSpec =
    codecKind !== 'delta'
      ? null
      : typeof options.cache === 'object'
        ? options.cache.spec
        : (options.cache ?? (mode === 'qemu-2011' ? 'set-assoc:ways=2' : 'qemu'));
  const resolved = resolveOptions(options, codecKind, cacheSpec);
  if (codecKind !== 'delta' && typeof options.cache === 'string') checkCacheSpec(options.cache);
  if (codec !== null && resolved.pageSize > codec.maxPageSize) {
    throw new Error(`codec ${codec.name} cannot encode ${resolved.pageSize}-byte pages (its format's limit is ${codec.maxPageSize})`);
  }
  const explicitPlacement =
    options.placement === undefined ? null : typeof options.placement === 'string' ? parsePlacement(options.placement) : givenPlacement(options.placement, resolved.pageCount);
  const workload = resolveWorkload(options.workload, resolved);
  const placement = explicitPlacement ?? defaultPlacement(typeof options.workload === 'string' ? workload.spec : '');
  const cache =
    codecKind === 'delta'
      ? typeof options.cache === 'object'
        ? options.cache
        : resolveCache(cacheSpec!, resolved)
      : null;
  return new MigrationRun(resolved, workload, codec, cache, options, placement).run();
}

class MigrationRun {
  private readonly memory: GuestMemory;
  private readonly buffers: Buffer[];
  private readonly zeroBuffer: Buffer;
  private readonly dirtyLog: DirtyBitmap;
  /** QEMU's migration bitmap (by workload page); its count is migration_dirty_pages. */
  private readonly toSend: DirtyBitmap;
  private readonly link: Link;
  private readonly window: RateWindow;
  private readonly cpu: CpuModel | null;
  private readonly destination: Destination;
  private readonly deltaCodec: boolean;
  private readonly wholeCodec: boolean;
  private readonly measure: boolean;
  private readonly out: Uint8Array;
  private readonly outLimited: Uint8Array;
  private readonly zeroPage: Uint8Array;
  private readonly corruptCopy: Uint8Array;
  private readonly sendRing = new Float64Array(PIPELINE_DEPTH);
  private ringIndex = 0;
  private readonly headerBytes: number;
  private readonly is2011: boolean;
  /** Guest-physical page of each workload page, and the workload page at each physical page (null: identity). */
  private readonly physicalOf: Uint32Array | null;
  private readonly pageAt: Uint32Array | null;

  /** The sender's cursor over guest-physical pages, and whether it has wrapped once (XBZRLE on). */
  private cursor = 0;
  private xbzrleEnabled = false;
  private passes = 0;

  private encoderFreeMs = 0;
  private decoderFreeMs = 0;
  /** Wall-clock (simulated) time the workload was last advanced to, and the guest's own clock. */
  private lastAdvanceMs = 0;
  private guestMs = 0;
  private throttle = 0;
  private encodeMsTotal = 0;
  private decodeMsTotal = 0;
  /** Counters of the current sync period, of pre-copy, and of stop-and-copy. */
  private readonly round = new Counters();
  private readonly precopy = new Counters();
  private readonly final = new Counters();
  private corruptSends = 0;

  /** Background (guest kernel) writes. */
  private readonly backgroundRng: Xoshiro128;
  private backgroundDone = 0;
  private readonly backgroundFirst: number;

  /** QEMU's sync bookkeeping and period rates. */
  private dirtySyncCount = 0;
  private remainingAtSync = 0;
  private rateStartMs = 0;
  private periodDirtyPages = 0;
  private periodStartBytes = 0;
  private periodStartHandled = 0;
  private periodStartMisses = 0;
  private periodStartHits = 0;
  private periodStartXbzrleBytes = 0;
  private dirtyPagesRate = 0;
  private cacheMissRate = 0;
  private encodingRate = 0;
  private dirtyRateHighCount = 0;
  private newlyDirtyTotal = 0;
  private expectedDowntimeMs = 0;

  constructor(
    private readonly o: ResolvedOptions,
    private readonly workload: Workload,
    private readonly codec: Codec | null,
    private readonly cache: PageCache | null,
    private readonly options: MigrationOptions,
    private readonly placement: Placement,
  ) {
    this.memory = new GuestMemory(o.pageCount, o.pageSize);
    this.buffers = chunkBuffers(this.memory);
    this.zeroBuffer = Buffer.alloc(o.pageSize);
    this.dirtyLog = new DirtyBitmap(o.pageCount);
    this.toSend = new DirtyBitmap(o.pageCount);
    this.link = new Link(o.bandwidthBps);
    this.window = new RateWindow(o.maxBandwidthBps);
    this.deltaCodec = codec !== null && codec.kind === 'delta';
    this.wholeCodec = codec !== null && codec.kind === 'whole';
    this.cpu = codec === null ? null : new CpuModel(o.cpu, codec, o.pageSize);
    this.measure = o.cpu === 'measured';
    this.destination = new Destination(this.memory, o.verify);
    this.out = new Uint8Array(o.pageSize * 2 + 1024);
    this.is2011 = o.mode === 'qemu-2011';
    // QEMU encodes with dlen = page size; the 2011 patch gave up beyond a third of a page.
    // Whole-page codecs must beat a normal page including the 3 bytes of flag and length.
    const limit = this.wholeCodec ? o.pageSize - 4 : this.is2011 ? Math.floor(o.pageSize / 3) : o.pageSize;
    this.outLimited = this.out.subarray(0, limit);
    this.zeroPage = new Uint8Array(o.pageSize);
    this.corruptCopy = new Uint8Array(o.pageSize);
    this.headerBytes = o.wireHeaders ? PAGE_HEADER : 0;
    this.physicalOf = buildPlacement(placement, o.pageCount, o.seed);
    this.pageAt = this.physicalOf === null ? null : invertPlacement(this.physicalOf);
    this.backgroundRng = new Xoshiro128(deriveSeed(o.seed, BACKGROUND_STREAM));
    this.backgroundFirst = o.pageCount - o.backgroundDirtyPages;
  }

  run(): MigrationResult {
    const o = this.o;
    const timeline: RoundEntry[] = [];
    this.workload.init(this.memory);
    // Setup: every page is marked in the migration bitmap and the first sync (dirty-sync-count
    // 1) starts the dirty log; its rate period starts here.
    for (let page = 0; page < o.pageCount; page++) this.toSend.markDirty(page);
    let nowMs = o.setupMs;
    this.advanceGuest(nowMs, true);
    this.dirtyLog.clearAll();
    this.dirtySyncCount = 1;
    this.cache?.nextGeneration();
    this.rateStartMs = nowMs;
    this.encoderFreeMs = nowMs;
    this.window.start(nowMs, 0, 0);

    let rounds = 0;
    let stopReason: MigrationResult['stopReason'] = 'threshold';
    let periodStartMs = nowMs;
    let periodStage = STAGE_BULK;
    this.round.reset();
    for (;;) {
      if (!this.window.limited()) {
        // The stop check (QEMU's pending query): sync when below the threshold, stop when still below.
        const threshold = this.window.thresholdBytes(o.downtimeLimitMs);
        let pending = this.toSend.count * o.pageSize;
        if (pending < threshold) {
          const newly = this.sync(nowMs);
          pending = this.toSend.count * o.pageSize;
          rounds++;
          this.precopy.add(this.round);
          const entry = this.entry(rounds, periodStage === STAGE_BULK ? 'bulk' : 'iterative', periodStartMs, nowMs);
          entry.dirtyPagesAtSync = this.toSend.count;
          entry.newlyDirtyPages = newly;
          entry.thresholdBytes = threshold;
          timeline.push(entry);
          this.options.onRound?.(entry);
          this.round.reset();
          periodStartMs = nowMs;
          periodStage = this.xbzrleEnabled ? STAGE_ITERATIVE : STAGE_BULK;
        }
        if (pending === 0 || pending < threshold) break;
        if (rounds >= o.maxRounds) {
          stopReason = 'max-rounds';
          break;
        }
        if (nowMs >= o.maxTimeMs) {
          stopReason = 'max-time';
          break;
        }
        nowMs = this.iterate(nowMs);
      }
      // QEMU's rate limiting: counters every 100 ms; a used-up quota waits for the window's end.
      if (this.window.due(nowMs)) this.updateCounters(nowMs);
      if (this.window.limited()) {
        nowMs = Math.max(nowMs, this.window.endMs());
        this.updateCounters(nowMs);
      }
    }
    this.precopy.add(this.round);
    // The stop can end a period no pre-copy sync closed (max-time; nothing left and a zero
    // threshold): it sent pages too, so it gets its own line and the lines add up to the totals.
    const unsynced = this.round;
    if (unsynced.normal + unsynced.zero + unsynced.xbzrle + unsynced.compressed + unsynced.identical > 0 || unsynced.wireBytes > 0) {
      const entry = this.entry(rounds + 1, periodStage === STAGE_BULK ? 'bulk' : 'iterative', periodStartMs, nowMs);
      timeline.push(entry);
      this.options.onRound?.(entry);
    }
    this.round.reset();

    // Stop-and-copy: the guest stops, max-bandwidth is lifted, QEMU syncs once more and sends
    // everything still marked, carrying on from the cursor.
    const stopMs = nowMs;
    const finalNewly = this.sync(stopMs);
    this.round.reset();
    if (this.encoderFreeMs < stopMs) this.encoderFreeMs = stopMs;
    while (this.toSend.count > 0) this.sendPage(this.nextDirtyPage(), STAGE_FINAL);
    const endMs = Math.max(this.link.busyUntilMs, this.decoderFreeMs, this.encoderFreeMs, stopMs) + o.switchoverMs;
    this.final.add(this.round);
    const finalEntry = this.entry(timeline.length + 1, 'stop-and-copy', stopMs, endMs);
    finalEntry.newlyDirtyPages = finalNewly;
    timeline.push(finalEntry);
    this.options.onRound?.(finalEntry);
    this.destination.verifyFinal();
    return this.result(endMs, endMs - stopMs, rounds, stopReason, timeline);
  }

  /**
   * One iteration (QEMU's ram_save_iterate): pages from the cursor until the window's quota is
   * used up, 50 ms have passed (checked on the first page and every 64), or nothing is marked.
   * Returns the sender's clock.
   */
  private iterate(startMs: number): number {
    if (this.encoderFreeMs < startMs) this.encoderFreeMs = startMs;
    const window = this.window;
    const toSend = this.toSend;
    for (let i = 0; !window.limited() && toSend.count > 0; i++) {
      const page = this.nextDirtyPage();
      const before = this.round.wireBytes;
      this.sendPage(page, this.xbzrleEnabled ? STAGE_ITERATIVE : STAGE_BULK);
      window.add(this.round.wireBytes - before);
      if ((i & 63) === 0 && this.senderClockMs() - startMs > ITERATION_MS) break;
    }
    return Math.max(startMs, this.senderClockMs());
  }

  /** The sender's clock: its last page encoded (pipeline), or also sent (serial: it waits for the link). */
  private senderClockMs(): number {
    return this.o.pipeline || this.encoderFreeMs > this.link.busyUntilMs ? this.encoderFreeMs : this.link.busyUntilMs;
  }

  /** The next page marked in the migration bitmap from the cursor, in guest-physical order; clears its mark. */
  private nextDirtyPage(): number {
    const bits = this.toSend.bits;
    const pageAt = this.pageAt;
    const pageCount = this.o.pageCount;
    let physical = this.cursor;
    for (;;) {
      if (physical >= pageCount) {
        physical = 0;
        this.passes++;
        this.xbzrleEnabled = true;
      }
      const page = pageAt === null ? physical : pageAt[physical]!;
      if (bits[page] !== 0) {
        bits[page] = 0;
        this.toSend.count--;
        this.cursor = physical + 1;
        return page;
      }
      physical++;
    }
  }
  private sendPage(pageNumber: number, stage: number): void {
    const o = this.o;
    const memory = this.memory;
    const chunkIndex = pageNumber >>> memory.chunkShift;
    const chunk = memory.chunks[chunkIndex]!;
    const offset = (pageNumber & memory.chunkMask) * o.pageSize;

    // When the encoder can take this page.
    let encodeStartMs = this.encoderFreeMs;
    if (o.pipeline) {
      const slotFree = this.sendRing[this.ringIndex]!;
      if (slotFree > encodeStartMs) encodeStartMs = slotFree;
    } else if (this.link.busyUntilMs > encodeStartMs) {
      encodeStartMs = this.link.busyUntilMs;
    }
    if (stage !== STAGE_FINAL) this.advanceGuest(encodeStartMs, false);

    const counters = this.round;
    const header = this.headerBytes;
    let wire = 0;
    let encodeMs = 0;
    let decodeMs = 0;
    if (this.isZero(chunkIndex, offset)) {
      wire = header + 1;
      counters.zero++;
      counters.zeroBytes += wire;
      if (this.deltaCodec && stage === STAGE_ITERATIVE) this.cacheZeroPage(this.physicalOf === null ? pageNumber : this.physicalOf[pageNumber]!);
      this.destination.zero(pageNumber, this.corrupting(pageNumber) ? 0xff : 0);
    } else if (this.deltaCodec && (stage === STAGE_ITERATIVE || (stage === STAGE_FINAL && this.xbzrleEnabled && !this.is2011))) {
      const cache = this.cache!;
      const pageView = chunk.subarray(offset, offset + o.pageSize);
      // The cache is keyed by guest-physical page, as QEMU's is by RAM address.
      const key = this.physicalOf === null ? pageNumber : this.physicalOf[pageNumber]!;
      const slot = cache.lookup(key);
      if (slot < 0) {
        counters.cacheMiss++;
        if (stage !== STAGE_FINAL) cache.insert(key, pageView);
        wire = this.sendNormal(pageNumber);
      } else {
        counters.cacheHitPages++;
        const cached = cache.data(slot);
        const started = this.measure ? performance.now() : 0;
        const encodedBytes = this.codec!.encode(cached, pageView, this.outLimited);
        encodeMs = this.cpu!.encodeMs(encodedBytes, this.measure ? performance.now() - started : 0);
        if (encodedBytes === 0) {
          counters.identical++;
        } else if (encodedBytes < 0) {
          counters.xbzrleOverflow++;
          counters.xbzrleBytes += o.pageSize;
          wire = this.sendNormal(pageNumber);
          if (stage !== STAGE_FINAL) cached.set(pageView);
        } else {
          wire = header + 3 + encodedBytes;
          counters.xbzrle++;
          counters.xbzrleWireBytes += wire;
          counters.xbzrleBytes += 3 + encodedBytes;
          const encoded = this.out.subarray(0, encodedBytes);
          if (this.corrupting(pageNumber)) encoded[encodedBytes >>> 1] ^= 0x5a;
          const measured = this.destination.encoded(pageNumber, this.codec!, encoded, cached, this.measure);
          decodeMs = this.cpu!.decodeMs(encodedBytes, measured);
          if (stage !== STAGE_FINAL) cached.set(pageView);
        }
      }
    } else if (this.wholeCodec) {
      const pageView = chunk.subarray(offset, offset + o.pageSize);
      const started = this.measure ? performance.now() : 0;
      const encodedBytes = this.codec!.encode(null, pageView, this.outLimited);
      encodeMs = this.cpu!.encodeMs(encodedBytes, this.measure ? performance.now() - started : 0);
      if (encodedBytes > 0) {
        wire = header + 3 + encodedBytes;
        counters.compressed++;
        counters.compressedWireBytes += wire;
        counters.compressedPayload += encodedBytes;
        const encoded = this.out.subarray(0, encodedBytes);
        if (this.corrupting(pageNumber)) encoded[encodedBytes >>> 1] ^= 0x5a;
        const measured = this.destination.encoded(pageNumber, this.codec!, encoded, null, this.measure);
        decodeMs = this.cpu!.decodeMs(encodedBytes, measured);
      } else {
        counters.compressedOverflow++;
        wire = this.sendNormal(pageNumber);
      }
    } else {
      wire = this.sendNormal(pageNumber);
    }
    counters.wireBytes += wire;
    this.encodeMsTotal += encodeMs;
    this.decodeMsTotal += decodeMs;

    const encodeDoneMs = encodeStartMs + encodeMs / o.encoderThreads;
    this.encoderFreeMs = encodeDoneMs;
    const sendDoneMs = wire > 0 ? this.link.send(wire, encodeDoneMs) : encodeDoneMs;
    this.sendRing[this.ringIndex] = sendDoneMs;
    this.ringIndex = (this.ringIndex + 1) % PIPELINE_DEPTH;
    if (wire > 0) {
      const decodeStartMs = sendDoneMs > this.decoderFreeMs ? sendDoneMs : this.decoderFreeMs;
      this.decoderFreeMs = decodeStartMs + decodeMs;
    }
  }

  /** A normal page: header + the page's bytes, copied into the destination. */
  private sendNormal(pageNumber: number): number {
    const counters = this.round;
    const pageSize = this.o.pageSize;
    const wire = this.headerBytes + pageSize;
    counters.normal++;
    counters.normalBytes += wire;
    if (this.corrupting(pageNumber)) {
      const offset = (pageNumber & this.memory.chunkMask) * pageSize;
      this.corruptCopy.set(this.memory.chunks[pageNumber >>> this.memory.chunkShift]!.subarray(offset, offset + pageSize));
      this.corruptCopy[pageSize >>> 1] ^= 0x5a;
      this.destination.normal(pageNumber, this.corruptCopy);
    } else {
      this.destination.normalFromSource(pageNumber);
    }
    return wire;
  }

  /** QEMU caches a zero page after the bulk stage so that a later delta has the right base (key: guest-physical page). */
  private cacheZeroPage(key: number): void {
    const cache = this.cache!;
    const slot = cache.lookup(key);
    if (slot >= 0) cache.data(slot).fill(0);
    else cache.insert(key, this.zeroPage);
  }

  /** Fault injection: true when this transmission of the page is the one to corrupt. */
  private corrupting(pageNumber: number): boolean {
    const fault = this.options.corruptWire;
    if (fault === undefined || fault.pageNumber !== pageNumber) return false;
    this.corruptSends++;
    return this.corruptSends === (fault.send ?? 1);
  }

  /** All bytes 0 (memcmp against a zero page). */
  private isZero(chunkIndex: number, offset: number): boolean {
    return this.zeroBuffer.compare(this.buffers[chunkIndex]!, offset, offset + this.o.pageSize) === 0;
  }

  /** Runs the guest up to `nowMs` (at tick granularity unless forced); a throttled guest's clock runs slower. */
  private advanceGuest(nowMs: number, force: boolean): void {
    const elapsed = nowMs - this.lastAdvanceMs;
    if (elapsed <= 0 || (!force && elapsed < this.o.workloadTickMs)) return;
    this.guestMs += elapsed * (1 - this.throttle);
    this.lastAdvanceMs = nowMs;
    this.workload.advance(this.memory, this.guestMs, this.dirtyLog);
    if (this.o.backgroundDirtyRate > 0) this.backgroundWrites();
  }

  /**
   * The guest kernel's own writes: one byte incremented at a random offset of a random page of
   * the last `backgroundDirtyPages` pages, `backgroundDirtyRate` times per second of guest time.
   */
  private backgroundWrites(): void {
    const due = Math.floor((this.guestMs * this.o.backgroundDirtyRate) / 1000);
    const memory = this.memory;
    const pageSize = this.o.pageSize;
    const rng = this.backgroundRng;
    for (; this.backgroundDone < due; this.backgroundDone++) {
      const page = this.backgroundFirst + rng.nextBelow(this.o.backgroundDirtyPages);
      const chunk = memory.chunks[page >>> memory.chunkShift]!;
      const offset = (page & memory.chunkMask) * pageSize + rng.nextBelow(pageSize);
      chunk[offset] = (chunk[offset]! + 1) & 0xff;
      this.dirtyLog.markDirty(page);
    }
  }

  /**
   * QEMU's bitmap sync: the guest has run up to now; its dirty log is ORed into the migration
   * bitmap (pages newly marked are counted), dirty-sync-count and the cache generation
   * advance, and once more than 1 s has passed since the last time, the period rates and
   * auto-converge's check run. Returns the pages newly marked.
   */
  private sync(nowMs: number): number {
    const o = this.o;
    this.advanceGuest(nowMs, true);
    const log = this.dirtyLog.bits;
    const send = this.toSend.bits;
    let count = this.toSend.count;
    let newly = 0;
    if (this.dirtyLog.count > 0) {
      for (let page = 0; page < log.length; page++) {
        if (log[page] !== 0 && send[page] === 0) {
          send[page] = 1;
          newly++;
        }
      }
      this.dirtyLog.clearAll();
    }
    count += newly;
    this.toSend.count = count;
    this.dirtySyncCount++;
    this.cache?.nextGeneration();
    this.periodDirtyPages += newly;
    this.newlyDirtyTotal += newly;
    this.remainingAtSync = count * o.pageSize;
    if (nowMs > this.rateStartMs + RATE_PERIOD_MS) {
      const all = this.runningCounters();
      const sentBytes = all.wireBytes - this.periodStartBytes;
      const dirtyBytes = this.periodDirtyPages * o.pageSize;
      if (o.autoConverge && dirtyBytes > sentBytes * AC_TRIGGER && ++this.dirtyRateHighCount >= 2) {
        this.dirtyRateHighCount = 0;
        this.throttle = this.throttle === 0 ? AC_INITIAL : Math.min(AC_MAX, this.throttle + AC_STEP);
      }
      this.dirtyPagesRate = Math.floor((this.periodDirtyPages * 1000) / (nowMs - this.rateStartMs));
      const handled = handledPages(all) - this.periodStartHandled;
      if (handled > 0) {
        this.cacheMissRate = (all.cacheMiss - this.periodStartMisses) / handled;
        const hits = all.cacheHitPages - this.periodStartHits;
        const encoded = all.xbzrleBytes - this.periodStartXbzrleBytes;
        this.encodingRate = hits === 0 || encoded === 0 ? 0 : (hits * o.pageSize) / encoded;
        this.periodStartMisses = all.cacheMiss;
        this.periodStartHits = all.cacheHitPages;
        this.periodStartXbzrleBytes = all.xbzrleBytes;
      }
      this.periodStartHandled = handledPages(all);
      this.rateStartMs = nowMs;
      this.periodDirtyPages = 0;
      this.periodStartBytes = all.wireBytes;
    }
    return newly;
  }

  /** Pre-copy counters including the current period's (stop-and-copy is counted apart). */
  private runningCounters(): Counters {
    const all = this.scratchCounters;
    all.reset();
    all.add(this.precopy);
    all.add(this.round);
    return all;
  }
  private readonly scratchCounters = new Counters();

  /**
   * QEMU's counter update (every 100 ms of the rate window): bandwidth = bytes of the window /
   * its length, threshold = bandwidth x downtime limit, pages per second, and expected
   * downtime = bytes marked at the last sync / bandwidth once a dirty-page rate exists.
   */
  private updateCounters(nowMs: number): void {
    const all = this.runningCounters();
    const window = this.window;
    const transferred = window.close(nowMs, all.wireBytes, transferredPages(all));
    if (transferred > 10_000 && this.dirtyPagesRate > 0 && window.bytesPerMs > 0) {
      this.expectedDowntimeMs = this.remainingAtSync / window.bytesPerMs;
    }
  }

  private entry(round: number, stage: RoundEntry['stage'], startMs: number, endMs: number): RoundEntry {
    const c = this.round;
    return {
      round,
      stage,
      startMs,
      durationMs: endMs - startMs,
      pagesNormal: c.normal,
      pagesZero: c.zero,
      pagesDelta: c.xbzrle,
      pagesXbzrle: c.xbzrle,
      pagesCompressed: c.compressed,
      pagesIdentical: c.identical,
      cacheMisses: c.cacheMiss,
      wireBytes: c.wireBytes,
      dirtyPagesAtSync: 0,
      newlyDirtyPages: 0,
      thresholdBytes: 0,
      throttlePercent: Math.round(this.throttle * 100),
    };
  }

  private result(totalTimeMs: number, downtimeMs: number, rounds: number, stopReason: MigrationResult['stopReason'], timeline: RoundEntry[]): MigrationResult {
    const o = this.o;
    const all = new Counters();
    all.add(this.precopy);
    all.add(this.final);
    const lookups = all.cacheHitPages + all.cacheMiss;
    const precopyMs = totalTimeMs - downtimeMs - o.setupMs;
    const handled = handledPages(this.precopy);
    return {
      totalTimeMs,
      downtimeMs,
      rounds,
      passes: this.passes,
      setupTimeMs: o.setupMs,
      notes: o.notes,
      wireBytes: all.wireBytes,
      converged: stopReason === 'threshold',
      stopReason,
      warnings: this.workload.limits?.(totalTimeMs - downtimeMs, o.downtimeLimitMs) ?? [],
      verified: true,
      verification: o.verify,
      seed: o.seed,
      inputs: {
        workload: this.workload.spec,
        ramBytes: o.ramBytes,
        pageSize: o.pageSize,
        bandwidthBps: o.bandwidthBps,
        maxBandwidthBps: Number.isFinite(o.maxBandwidthBps) ? o.maxBandwidthBps : null,
        downtimeLimitMs: o.downtimeLimitMs,
        switchoverMs: o.switchoverMs,
        setupMs: o.setupMs,
        placement: this.placement.spec,
        backgroundDirtyRate: o.backgroundDirtyRate,
        backgroundDirtyPages: o.backgroundDirtyPages,
        codec: o.codec,
        cache: this.cache === null ? null : this.cache.spec,
        cacheBytes: this.cache === null ? 0 : this.cache.capacityPages * o.pageSize,
        mode: o.mode,
        cpu: o.cpu,
        pipeline: o.pipeline,
        encoderThreads: o.encoderThreads,
        maxRounds: o.maxRounds,
        maxTimeMs: Number.isFinite(o.maxTimeMs) ? o.maxTimeMs : null,
        autoConverge: o.autoConverge,
        wireHeaders: o.wireHeaders,
        workloadTickMs: o.workloadTickMs,
        seed: o.seed,
      },
      wire: {
        normal: { pages: all.normal, bytes: all.normalBytes },
        zero: { pages: all.zero, bytes: all.zeroBytes },
        delta: { pages: all.xbzrle, bytes: all.xbzrleWireBytes },
        xbzrle: { pages: all.xbzrle, bytes: all.xbzrleWireBytes },
        compressed: { pages: all.compressed, bytes: all.compressedWireBytes },
        identicalPages: all.identical,
      },
      cpu: { mode: o.cpu, encodeSeconds: this.encodeMsTotal / 1000, decodeSeconds: this.decodeMsTotal / 1000 },
      cacheHitRatio: lookups > 0 ? all.cacheHitPages / lookups : 0,
      throttlePercent: Math.round(this.throttle * 100),
      stats: {
        'total-time': totalTimeMs,
        downtime: downtimeMs,
        'setup-time': o.setupMs,
        'expected-downtime': this.expectedDowntimeMs,
        ram: {
          transferred: all.wireBytes,
          remaining: 0,
          total: o.ramBytes,
          duplicate: all.zero,
          skipped: 0,
          normal: all.normal,
          'normal-bytes': all.normal * o.pageSize,
          'dirty-sync-count': this.dirtySyncCount,
          'dirty-pages-rate': this.dirtyPagesRate,
          'pages-per-second': this.window.pagesPerSecond,
          'page-size': o.pageSize,
          mbps: totalTimeMs - o.setupMs > 0 ? (all.wireBytes * 8) / (totalTimeMs - o.setupMs) / 1000 : 0,
          'precopy-bytes': this.precopy.wireBytes,
          'downtime-bytes': this.final.wireBytes,
          'postcopy-bytes': 0,
        },
        'xbzrle-cache': {
          'cache-size': this.cache === null ? 0 : this.cache.capacityPages * o.pageSize,
          bytes: all.xbzrleBytes,
          pages: all.cacheHitPages,
          'cache-miss': all.cacheMiss,
          'cache-miss-rate': this.cacheMissRate,
          'encoding-rate': this.encodingRate,
          overflow: all.xbzrleOverflow,
        },
        compression: {
          pages: all.compressed,
          'compressed-size': all.compressedPayload,
          'compression-rate': all.compressedPayload > 0 ? (all.compressed * o.pageSize) / all.compressedPayload : 0,
          overflow: all.compressedOverflow,
        },
      },
      wholeRun: {
        cacheMissRate: handled > 0 ? this.precopy.cacheMiss / handled : 0,
        cacheMissRatio: lookups > 0 ? all.cacheMiss / lookups : 0,
        encodingRate: all.cacheHitPages > 0 && all.xbzrleBytes > 0 ? (all.cacheHitPages * o.pageSize) / all.xbzrleBytes : 0,
        dirtyPagesRate: precopyMs > 0 ? (this.newlyDirtyTotal * 1000) / precopyMs : 0,
        pagesPerSecond: precopyMs > 0 ? (transferredPages(this.precopy) * 1000) / precopyMs : 0,
      },
      timeline,
    };
  }
}

/** QEMU's target_page_count: pages an iteration put on the wire (identical XBZRLE pages excluded). */
function handledPages(c: Counters): number {
  return c.normal + c.zero + c.xbzrle + c.compressed;
}

/** QEMU's total transferred pages: normal + zero + compressed + XBZRLE cache hits. */
function transferredPages(c: Counters): number {
  return c.normal + c.zero + c.compressed + c.cacheHitPages;
}
