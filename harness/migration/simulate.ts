/**
 * The simulated pre-copy live migration (docs/migration.md; QEMU's behaviour in
 * docs/reference.md). Real codecs on real page bytes, a real cache policy, a workload dirtying the
 * guest in simulated time while pages are encoded and sent, and a destination that decodes
 * every record and must end equal to the source.
 *
 * Time model (ms of simulated time), per page i:
 *   encodeStart = max(encoder free, send done of page i - PIPELINE_DEPTH)  [pipeline]
 *               = max(encoder free, link free)                            [no pipeline]
 *   the workload runs up to encodeStart, then the page's content is read and encoded;
 *   encodeDone  = encodeStart + encode cost / encoder threads
 *   sendDone    = link.send(wire bytes, encodeDone)
 *   decodeDone  = max(decoder free, sendDone) + decode cost             [destination]
 * A pass ends when its last page has left the sender; then the dirty log is synced.
 */
import type { PageCache } from '../../caches/cache.js';
import type { Codec } from '../../codecs/codec.js';
import { getCodec } from '../../codecs/registry.js';
import { DirtyBitmap, GuestMemory } from '../../workloads/memory.js';
import type { Workload } from '../../workloads/workload.js';
import { CpuModel } from './cpu.js';
import { chunkBuffers, Destination } from './destination.js';
import { Link } from './link.js';
import { DEFAULTS, type MigrationOptions, type ResolvedOptions, type RoundEntry, resolveOptions } from './options.js';
import { checkCacheSpec, resolveCache, resolveWorkload } from './specs.js';
import { Counters, type MigrationResult } from './stats.js';

/** QEMU's per-page header: 8-byte address + flags word. */
const PAGE_HEADER = 8;
/** Pages the encoder may run ahead of the link (about QEMU's QEMUFile buffer plus socket buffers). */
const PIPELINE_DEPTH = 32;
/** Auto-converge (QEMU defaults): period, trigger ratio, initial throttle, increment, maximum. */
const AC_PERIOD_MS = 1000;
const AC_TRIGGER = 0.5;
const AC_INITIAL = 0.2;
const AC_STEP = 0.1;
const AC_MAX = 0.99;

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
  const workload = resolveWorkload(options.workload, resolved);
  const cache =
    codecKind === 'delta'
      ? typeof options.cache === 'object'
        ? options.cache
        : resolveCache(cacheSpec!, resolved)
      : null;
  return new MigrationRun(resolved, workload, codec, cache, options).run();
}

class MigrationRun {
  private readonly memory: GuestMemory;
  private readonly buffers: Buffer[];
  private readonly zeroBuffer: Buffer;
  private readonly dirtyLog: DirtyBitmap;
  private readonly toSend: DirtyBitmap;
  private readonly link: Link;
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

  private encoderFreeMs = 0;
  private decoderFreeMs = 0;
  /** Wall-clock (simulated) time the workload was last advanced to, and the guest's own clock. */
  private lastAdvanceMs = 0;
  private guestMs = 0;
  private throttle = 0;
  private encodeMsTotal = 0;
  private decodeMsTotal = 0;
  private readonly round = new Counters();
  private readonly precopy = new Counters();
  private readonly final = new Counters();
  private corruptSends = 0;

  constructor(
    private readonly o: ResolvedOptions,
    private readonly workload: Workload,
    private readonly codec: Codec | null,
    private readonly cache: PageCache | null,
    private readonly options: MigrationOptions,
  ) {
    this.memory = new GuestMemory(o.pageCount, o.pageSize);
    this.buffers = chunkBuffers(this.memory);
    this.zeroBuffer = Buffer.alloc(o.pageSize);
    this.dirtyLog = new DirtyBitmap(o.pageCount);
    this.toSend = new DirtyBitmap(o.pageCount);
    this.link = new Link(o.bandwidthBps, o.maxBandwidthBps);
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
  }

  run(): MigrationResult {
    const o = this.o;
    const timeline: RoundEntry[] = [];
    this.workload.init(this.memory);
    // Setup: the first sync (dirty-sync-count 1) marks every page; the dirty log starts.
    let dirtySyncCount = 1;
    this.cache?.nextGeneration();
    for (let page = 0; page < o.pageCount; page++) this.toSend.markDirty(page);

    let rounds = 0;
    let stage = STAGE_BULK;
    let nowMs = 0;
    let stopReason: MigrationResult['stopReason'] = 'threshold';
    let expectedDowntimeMs = 0;
    let acPeriodStartMs = 0;
    let acPeriodStartBytes = 0;
    let acPeriodDirtyPages = 0;
    let acHighCount = 0;
    for (;;) {
      rounds++;
      const startMs = nowMs;
      const throttlePercent = Math.round(this.throttle * 100);
      this.round.reset();
      this.sendDirtyPages(stage, nowMs);
      nowMs = Math.max(nowMs, this.link.busyUntilMs, this.encoderFreeMs);
      // Sync: the guest has run up to now; its dirty log becomes the next pass's pages.
      this.advanceGuest(nowMs, true);
      const newlyDirty = this.dirtyLog.count;
      this.syncDirtyLog();
      dirtySyncCount++;
      this.cache?.nextGeneration();
      const pendingBytes = this.toSend.count * o.pageSize;
      const bandwidth = this.link.bandwidthEstimateBytesPerMs(nowMs);
      const thresholdBytes = bandwidth * o.downtimeLimitMs;
      expectedDowntimeMs = bandwidth > 0 ? pendingBytes / bandwidth : 0;
      this.precopy.add(this.round);
      const entry = this.entry(rounds, stage === STAGE_BULK ? 'bulk' : 'iterative', startMs, nowMs, throttlePercent);
      entry.dirtyPagesAtSync = this.toSend.count;
      entry.thresholdBytes = thresholdBytes;
      timeline.push(entry);
      this.options.onRound?.(entry);
      // Auto-converge: guest dirtying more than half of what was sent, in two >= 1 s periods.
      acPeriodDirtyPages += newlyDirty;
      if (nowMs - acPeriodStartMs >= AC_PERIOD_MS) {
        const sentBytes = this.link.totalBytes - acPeriodStartBytes;
        if (o.autoConverge && acPeriodDirtyPages * o.pageSize > sentBytes * AC_TRIGGER && ++acHighCount >= 2) {
          acHighCount = 0;
          this.throttle = this.throttle === 0 ? AC_INITIAL : Math.min(AC_MAX, this.throttle + AC_STEP);
        }
        acPeriodStartMs = nowMs;
        acPeriodStartBytes = this.link.totalBytes;
        acPeriodDirtyPages = 0;
      }
      if (pendingBytes === 0 || pendingBytes < thresholdBytes) break;
      if (rounds >= o.maxRounds) {
        stopReason = 'max-rounds';
        break;
      }
      if (nowMs >= o.maxTimeMs) {
        stopReason = 'max-time';
        break;
      }
      stage = STAGE_ITERATIVE;
    }

    // Stop-and-copy: the guest is paused; everything still dirty goes. QEMU syncs once more on
    // completion (it finds nothing new: the guest stopped at this sync).
    const stopMs = nowMs;
    dirtySyncCount++;
    this.round.reset();
    this.sendDirtyPages(STAGE_FINAL, nowMs);
    const endMs = Math.max(this.link.busyUntilMs, this.decoderFreeMs, stopMs) + o.switchoverMs;
    this.final.add(this.round);
    const finalEntry = this.entry(rounds + 1, 'stop-and-copy', stopMs, endMs, Math.round(this.throttle * 100));
    timeline.push(finalEntry);
    this.destination.verifyFinal();
    return this.result(endMs, endMs - stopMs, rounds, stopReason, dirtySyncCount, expectedDowntimeMs, timeline);
  }

  /** One pass: every page marked in `toSend`, in page order, cleared as it is sent. */
  private sendDirtyPages(stage: number, startMs: number): void {
    const bits = this.toSend.bits;
    const pageCount = this.o.pageCount;
    if (this.encoderFreeMs < startMs) this.encoderFreeMs = startMs;
    for (let page = 0; page < pageCount; page++) {
      if (bits[page] === 0) continue;
      bits[page] = 0;
      this.toSend.count--;
      this.sendPage(page, stage);
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
      if (this.deltaCodec && stage === STAGE_ITERATIVE) this.cacheZeroPage(pageNumber);
      this.destination.zero(pageNumber, this.corrupting(pageNumber) ? 0xff : 0);
    } else if (this.deltaCodec && (stage === STAGE_ITERATIVE || (stage === STAGE_FINAL && !this.is2011))) {
      const cache = this.cache!;
      const pageView = chunk.subarray(offset, offset + o.pageSize);
      const slot = cache.lookup(pageNumber);
      if (slot < 0) {
        counters.cacheMiss++;
        if (stage !== STAGE_FINAL) cache.insert(pageNumber, pageView);
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

  /** QEMU caches a zero page after the bulk stage so that a later delta has the right base. */
  private cacheZeroPage(pageNumber: number): void {
    const cache = this.cache!;
    const slot = cache.lookup(pageNumber);
    if (slot >= 0) cache.data(slot).fill(0);
    else cache.insert(pageNumber, this.zeroPage);
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
  }

  /** toSend |= dirtyLog; dirtyLog = {}. */
  private syncDirtyLog(): void {
    const log = this.dirtyLog.bits;
    const send = this.toSend.bits;
    let count = this.toSend.count;
    if (this.dirtyLog.count > 0) {
      for (let page = 0; page < log.length; page++) {
        if (log[page] !== 0 && send[page] === 0) {
          send[page] = 1;
          count++;
        }
      }
      this.dirtyLog.clearAll();
    }
    this.toSend.count = count;
  }

  private entry(round: number, stage: RoundEntry['stage'], startMs: number, endMs: number, throttlePercent: number): RoundEntry {
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
      thresholdBytes: 0,
      throttlePercent,
    };
  }

  private result(
    totalTimeMs: number,
    downtimeMs: number,
    rounds: number,
    stopReason: MigrationResult['stopReason'],
    dirtySyncCount: number,
    expectedDowntimeMs: number,
    timeline: RoundEntry[],
  ): MigrationResult {
    const o = this.o;
    const all = new Counters();
    all.add(this.precopy);
    all.add(this.final);
    const lookups = all.cacheHitPages + all.cacheMiss;
    return {
      totalTimeMs,
      downtimeMs,
      rounds,
      wireBytes: all.wireBytes,
      converged: stopReason === 'threshold',
      stopReason,
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
        ram: {
          transferred: all.wireBytes,
          total: o.ramBytes,
          duplicate: all.zero,
          normal: all.normal,
          'normal-bytes': all.normal * o.pageSize,
          'dirty-sync-count': dirtySyncCount,
          'expected-downtime': expectedDowntimeMs,
          mbps: totalTimeMs > 0 ? (all.wireBytes * 8) / 1e6 / (totalTimeMs / 1000) : 0,
          'precopy-bytes': this.precopy.wireBytes,
          'downtime-bytes': this.final.wireBytes,
        },
        'xbzrle-cache': {
          'cache-size': this.cache === null ? 0 : this.cache.capacityPages * o.pageSize,
          bytes: all.xbzrleBytes,
          pages: all.cacheHitPages,
          'cache-miss': all.cacheMiss,
          'cache-miss-rate': lookups > 0 ? all.cacheMiss / lookups : 0,
          'encoding-rate': all.cacheHitPages > 0 && all.xbzrleBytes > 0 ? (all.cacheHitPages * o.pageSize) / all.xbzrleBytes : 0,
          overflow: all.xbzrleOverflow,
        },
        compression: {
          pages: all.compressed,
          'compressed-size': all.compressedPayload,
          'compression-rate': all.compressedPayload > 0 ? (all.compressed * o.pageSize) / all.compressedPayload : 0,
          overflow: all.compressedOverflow,
        },
      },
      timeline,
    };
  }
}
