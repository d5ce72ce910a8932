/** Counters of a run and the result object, with QEMU's statistic names (query-migrate). */
import type { RoundEntry } from './options.js';

/** Per page type: pages and bytes on the wire (headers included when counted). */
export interface WireCount {
  pages: number;
  bytes: number;
}

export interface MigrationResult {
  /** Start of the migration to the guest running at the destination, ms. */
  totalTimeMs: number;
  /** Guest stopped to guest running at the destination (stop-and-copy + switchover), ms. */
  downtimeMs: number;
  /** Pre-copy dirty-log syncs after the setup sync (QEMU's passes; the final sync not counted). */
  rounds: number;
  /** Complete walks of the sender over guest memory before the stop (the first is the bulk stage). */
  passes: number;
  /** Start of the migration to the first page sent (QEMU's setup-time), ms. */
  setupTimeMs: number;
  /** Adjustments made to follow QEMU (e.g. the cache size rounded down), one line each. */
  notes: string[];
  /** Every byte put on the wire. */
  wireBytes: number;
  /** The stop rule was met (false: stopped by the round or time cap, then a forced stop-and-copy). */
  converged: boolean;
  stopReason: 'threshold' | 'max-rounds' | 'max-time';
  /** What makes this result suspect, one sentence each (e.g. the replayed trace ended before the stop). */
  warnings: string[];
  /** The destination equalled the source byte for byte (a mismatch throws instead). */
  verified: boolean;
  verification: 'full' | 'digest';
  seed: number;
  /** Inputs as resolved (defaults filled in). */
  inputs: Record<string, string | number | boolean | null>;
  /**
   * Bytes and pages on the wire by page type. `delta` is every page sent as a delta against the
   * cache, whatever the codec; `xbzrle` (QEMU's name for it) is kept as the same figures.
   */
  wire: { normal: WireCount; zero: WireCount; delta: WireCount; xbzrle: WireCount; compressed: WireCount; identicalPages: number };
  cpu: { mode: string; encodeSeconds: number; decodeSeconds: number };
  /** Hits / lookups over the delta stage (0 when no lookup). */
  cacheHitRatio: number;
  /** vCPU throttle at the end, percent (auto-converge). */
  throttlePercent: number;
  /**
   * query-migrate of the completed migration, QEMU's names with QEMU's meaning (QEMU 7.2).
   * Period figures (rates) are the last period's, as QEMU leaves them; whole-run figures are
   * in `wholeRun`.
   */
  stats: {
    'total-time': number;
    downtime: number;
    'setup-time': number;
    /**
     * ms: bytes marked dirty at the last sync before the 100 ms counter update / the bandwidth
     * estimate of that update (QEMU shows it while active; 0 until a dirty-page rate exists).
     */
    'expected-downtime': number;
    ram: {
      transferred: number;
      /** Bytes still marked dirty (0: QEMU reports 0 once completed). */
      remaining: number;
      total: number;
      duplicate: number;
      /** Always 0 in QEMU 7.2 (a legacy field). */
      skipped: number;
      normal: number;
      'normal-bytes': number;
      'dirty-sync-count': number;
      /** Pages per second newly dirtied, over the last rate period (>= 1 s, ended at a sync). */
      'dirty-pages-rate': number;
      /** Pages handled per second over the last 100 ms counter period before the stop. */
      'pages-per-second': number;
      'page-size': number;
      /** Mbit/s over the whole run without setup, as QEMU sets it at completion. */
      mbps: number;
      'precopy-bytes': number;
      'downtime-bytes': number;
      'postcopy-bytes': number;
    };
    'xbzrle-cache': {
      'cache-size': number;
      bytes: number;
      pages: number;
      'cache-miss': number;
      /** Cache misses / pages handled, over the last rate period (QEMU's meaning). */
      'cache-miss-rate': number;
      /** Unencoded bytes of cache hits / their encoded bytes, over the last rate period. */
      'encoding-rate': number;
      overflow: number;
    };
    /** Whole-page codecs (lz4, snappy, raw): pages sent compressed. */
    compression: {
      pages: number;
      'compressed-size': number;
      'compression-rate': number;
      /** Pages that did not shrink and went as normal pages. */
      overflow: number;
    };
  };
  /** The same kinds of figures over the whole run (not QEMU's: QEMU only keeps the last period's). */
  wholeRun: {
    /** Cache misses / pages handled by the pre-copy iterations. */
    cacheMissRate: number;
    /** Cache misses / cache lookups, pre-copy and stop-and-copy. */
    cacheMissRatio: number;
    encodingRate: number;
    /** Newly dirty pages found by all syncs / pre-copy time, pages/s. */
    dirtyPagesRate: number;
    pagesPerSecond: number;
  };
  timeline: RoundEntry[];
}

/** Mutable counters for one period (a round) or the whole run. */
export class Counters {
  normal = 0;
  normalBytes = 0;
  zero = 0;
  zeroBytes = 0;
  xbzrle = 0;
  xbzrleWireBytes = 0;
  compressed = 0;
  compressedWireBytes = 0;
  identical = 0;
  cacheMiss = 0;
  /** QEMU's xbzrle `pages`: hits (encoded + identical + overflow). */
  cacheHitPages = 0;
  /** QEMU's xbzrle `bytes`: 3 + n per encoded page, pageSize per overflow. */
  xbzrleBytes = 0;
  xbzrleOverflow = 0;
  compressedPayload = 0;
  compressedOverflow = 0;
  wireBytes = 0;

  reset(): void {
    this.normal = this.normalBytes = this.zero = this.zeroBytes = this.xbzrle = this.xbzrleWireBytes = 0;
    this.compressed = this.compressedWireBytes = this.identical = this.cacheMiss = this.cacheHitPages = 0;
    this.xbzrleBytes = this.xbzrleOverflow = this.compressedPayload = this.compressedOverflow = this.wireBytes = 0;
  }

  add(other: Counters): void {
    this.normal += other.normal;
    this.normalBytes += other.normalBytes;
    this.zero += other.zero;
    this.zeroBytes += other.zeroBytes;
    this.xbzrle += other.xbzrle;
    this.xbzrleWireBytes += other.xbzrleWireBytes;
    this.compressed += other.compressed;
    this.compressedWireBytes += other.compressedWireBytes;
    this.identical += other.identical;
    this.cacheMiss += other.cacheMiss;
    this.cacheHitPages += other.cacheHitPages;
    this.xbzrleBytes += other.xbzrleBytes;
    this.xbzrleOverflow += other.xbzrleOverflow;
    this.compressedPayload += other.compressedPayload;
    this.compressedOverflow += other.compressedOverflow;
    this.wireBytes += other.wireBytes;
  }
}
