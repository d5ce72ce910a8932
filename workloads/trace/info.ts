/**
 * `pagedelta trace info FILE`: what a trace holds, in one streaming pass (memory bounded by
 * the trace's pages: one counter per page and the decoder's image, never its length).
 * For content traces the first epoch is the initial image; "dirtied" counts the later ones.
 */
import type { Table } from '../../results/table.js';
import { SparseImage } from '../sparse-image.js';
import { formatIntervals, intervalStats, type IntervalStats } from './recorder/intervals.js';
import { PAGE_UNCHANGED, PAGE_ZERO, TIME_UNITS, TraceError, type TraceHeader } from './format.js';
import { CountOnlyTarget, type PageTarget, SparseTarget } from './reader.js';
import { type TraceBatch, TraceSource, type TraceSourceOptions } from './source.js';
import { formatBytes } from '../../units/quantities.js';

export interface RateBucket {
  fromMs: number;
  toMs: number;
  epochs: number;
  /** Page dirtyings (content) or accesses (access) in the bucket. */
  pages: number;
  pagesPerSecond: number;
}

export interface TraceInfo {
  path: string;
  header: TraceHeader;
  fileFormat: string;
  durationMs: number;
  /** False for a text trace of pages only: it has an order but no times (no rates). */
  timed: boolean;
  /** Logical epochs (content) or access batches. */
  epochs: number;
  /** Content: non-zero pages of the first epoch (the initial image). */
  initialPages: number;
  /** Page entries after the initial image (content) or accesses. */
  dirtyings: number;
  distinctPages: number;
  /** Fewest pages that take `hotShare` of the dirtyings / accesses. */
  hotSetPages: number;
  hotShare: number;
  meanPagesPerEpoch: number;
  /** Content: zero pages at the end / pageCount. */
  zeroPageFraction: number | null;
  /** Content: entries that set a page to all zeros / entries. */
  zeroWriteFraction: number | null;
  /** Content: entries whose bytes did not change / entries. */
  unchangedWriteFraction: number | null;
  /** Content: mean bytes that differ from the previous version, per dirtied page. */
  meanChangedBytes: number | null;
  /**
   * Content: where the figures that need page contents (zero pages at the end, bytes cleared by
   * zero-page entries) came from: the end record (its writer saw every page) or the pages
   * decoded into an image.
   */
  contentFiguresFrom: 'end record' | 'decoded pages' | null;
  rate: RateBucket[];
  /** Content: gaps between epochs (the interval a recording achieved). */
  intervals: IntervalStats | null;
  /** The interval the recorder or generator was asked for (header), if known. */
  askedIntervalMs: number | null;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A histogram over time with a fixed number of buckets whose width doubles as needed. */
class TimeHistogram {
  private width: number;
  readonly epochs: Float64Array;
  readonly pages: Float64Array;

  constructor(
    readonly buckets: number,
    initialWidth: number,
  ) {
    this.width = initialWidth;
    this.epochs = new Float64Array(buckets);
    this.pages = new Float64Array(buckets);
  }

  private grow(offsetMs: number): void {
    while (offsetMs > this.width * this.buckets) {
      for (let i = 0; i < this.buckets / 2; i++) {
        this.epochs[i] = this.epochs[2 * i]! + this.epochs[2 * i + 1]!;
        this.pages[i] = this.pages[2 * i]! + this.pages[2 * i + 1]!;
      }
      this.epochs.fill(0, this.buckets / 2);
      this.pages.fill(0, this.buckets / 2);
      this.width *= 2;
    }
  }

  /**
   * Adds an epoch at `toMs` whose pages were dirtied over (fromMs, toMs]: the pages are
   * spread over that interval (so buckets finer than the epochs do not alias). Bucket i
   * holds (i*width, (i+1)*width].
   */
  add(fromMs: number, toMs: number, epochs: number, pages: number): void {
    this.grow(toMs);
    const last = Math.max(0, Math.ceil(toMs / this.width) - 1);
    this.epochs[last]! += epochs;
    if (!(toMs > fromMs)) {
      this.pages[last]! += pages;
      return;
    }
    const span = toMs - fromMs;
    for (let index = Math.max(0, Math.floor(fromMs / this.width)); index <= last; index++) {
      const overlap = Math.min(toMs, (index + 1) * this.width) - Math.max(fromMs, index * this.width);
      if (overlap > 0) this.pages[index]! += (pages * overlap) / span;
    }
  }

  /**
   * Exactly `count` rows of equal width over [0, durationMs]: the fine buckets' pages are
   * split between rows in proportion to their overlap, each epoch counts in the row holding
   * its fine bucket's end.
   */
  rows(originMs: number, durationMs: number, count: number): RateBucket[] {
    const width = durationMs > 0 ? durationMs / count : Math.max(this.width, 1);
    const epochs = new Float64Array(count);
    const pages = new Float64Array(count);
    for (let i = 0; i < this.buckets; i++) {
      const epochCount = this.epochs[i]!;
      const pageCount = this.pages[i]!;
      if (epochCount === 0 && pageCount === 0) continue;
      const from = i * this.width;
      const to = from + this.width;
      epochs[Math.min(count - 1, Math.max(0, Math.ceil(Math.min(to, durationMs) / width) - 1))]! += epochCount;
      if (pageCount === 0) continue;
      const first = Math.min(count - 1, Math.floor(from / width));
      const last = Math.min(count - 1, Math.max(first, Math.ceil(to / width) - 1));
      for (let row = first; row <= last; row++) {
        const rowFrom = row * width;
        const rowTo = row === count - 1 ? Math.max(to, rowFrom + width) : rowFrom + width;
        const overlap = Math.min(to, rowTo) - Math.max(from, rowFrom);
        if (overlap > 0) pages[row]! += (pageCount * overlap) / this.width;
      }
    }
    const rows: RateBucket[] = [];
    for (let row = 0; row < count; row++) {
      const from = row * width;
      rows.push({ fromMs: originMs + from, toMs: originMs + from + width, epochs: epochs[row]!, pages: pages[row]!, pagesPerSecond: (pages[row]! * 1000) / width });
    }
    return rows;
  }
}

/**
 * Fewest of `counts` (zeros ignored) whose sum reaches `share` of `total`: the largest taken
 * first. Counted by value, not sorted (a sort of 83k counts was 7% of a trace info pass): each
 * count value's pages are taken together, as many as the goal still needs.
 */
export function hottestPages(counts: ArrayLike<number>, share: number, total: number): number {
  if (total === 0) return 0;
  const goal = share * total - 1e-9;
  let largest = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > largest) largest = counts[i]!;
  if (largest > Math.max(1 << 16, 4 * counts.length)) {
    // Counts too large to tabulate by value in memory of the order of the counts': sorted instead.
    const values = Float64Array.from(counts).sort();
    let covered = 0;
    let pages = 0;
    for (let i = values.length - 1; i >= 0 && values[i]! > 0 && covered < goal; i--) {
      covered += values[i]!;
      pages++;
    }
    return pages;
  }
  const pagesWith = new Float64Array(largest + 1);
  for (let i = 0; i < counts.length; i++) pagesWith[counts[i]!]!++;
  let covered = 0;
  let pages = 0;
  for (let count = largest; count >= 1 && covered < goal; count--) {
    const available = pagesWith[count]!;
    if (available === 0) continue;
    // The fewest of them that reach the goal, or all: the comparison the one-by-one walk makes.
    let take = Math.min(available, Math.max(1, Math.ceil((goal - covered) / count)));
    while (take > 1 && covered + (take - 1) * count >= goal) take--;
    while (take < available && covered + take * count < goal) take++;
    covered += take * count;
    pages += take;
  }
  return pages;
}

/**
 * The most page slots made at once for counting outside PageCounter (16 MiB of counters, a
 * 16 GiB guest of 4 KiB pages): a trace that declares more pages counts them as it meets them.
 */
const MAX_PRESIZED_SLOTS = 1 << 22;

/** Per-page counters: an array while page numbers are small, a Map beyond. */
class PageCounter {
  private counts = new Uint32Array(1024);
  private map: Map<number, number> | undefined;

  add(page: number): void {
    if (!this.map && page >= this.counts.length) {
      if (page < 1 << 26) {
        const grown = new Uint32Array(Math.max(page + 1, this.counts.length * 2));
        grown.set(this.counts);
        this.counts = grown;
      } else {
        this.map = new Map();
        for (let i = 0; i < this.counts.length; i++) if (this.counts[i]! > 0) this.map.set(i, this.counts[i]!);
      }
    }
    if (this.map) this.map.set(page, (this.map.get(page) ?? 0) + 1);
    else this.counts[page]!++;
  }

  /**
   * add() for pages[0, count): the common case (an array, pages inside it) without a call or
   * a branch on the count a page (pages are counted as distinct at the end instead: whether a
   * page was new is as unpredictable as the pages are).
   */
  addAll(pages: Float64Array, count: number): void {
    let counts = this.counts;
    for (let i = 0; i < count; i++) {
      const page = pages[i]!;
      if (this.map !== undefined || page >= counts.length) {
        this.add(page);
        counts = this.counts;
        continue;
      }
      counts[page]!++;
    }
  }

  /**
   * The counters as one array with a slot for every page below `pageLimit`, for counting
   * outside this class (CountOnlyTarget.pageCounts); null when they cannot be (a Map, or a
   * limit over MAX_PRESIZED_SLOTS). The array is then never replaced: no page at or above the
   * limit comes.
   */
  slotsBelow(pageLimit: number): Uint32Array | null {
    if (this.map !== undefined || !(pageLimit <= MAX_PRESIZED_SLOTS)) return null;
    if (this.counts.length < pageLimit) {
      const grown = new Uint32Array(pageLimit);
      grown.set(this.counts);
      this.counts = grown;
    }
    return this.counts;
  }

  /** Pages counted at least once. */
  get distinct(): number {
    if (this.map) return this.map.size;
    let distinct = 0;
    for (let i = 0; i < this.counts.length; i++) distinct += this.counts[i]! > 0 ? 1 : 0;
    return distinct;
  }

  /** Fewest pages covering `share` of all counts. */
  hotSet(share: number, total: number): number {
    return hottestPages(this.map ? Float64Array.from(this.map.values()) : this.counts, share, total);
  }
}

/**
 * What traceInfo counts as it reads, batch by batch. Kept apart from traceInfo's loop (an
 * async function, recompiled whole each time its loop tiers up): these small methods compile
 * once, where counting inline had V8 compile traceInfo seven times in a run's first passes.
 */
class InfoTally {
  readonly counter = new PageCounter();
  histogram: TimeHistogram | undefined;
  origin = Number.NaN;
  last = Number.NaN;
  epochs = 0;
  initialPages = 0;
  dirtyings = 0;
  zeroWrites = 0;
  unchangedWrites = 0;
  changedBytes = 0;
  inInitial = true;
  maxPage = -1;
  // Content epochs: the time of the current epoch and of the one before it.
  private epochStart = Number.NaN;
  private previousEpoch = Number.NaN;
  // Epoch times (ms), for the achieved interval: 8 bytes an epoch.
  epochTimes: Float64Array;
  epochTimesCount = 0;

  constructor(
    header: TraceHeader,
    private readonly unitMs: number,
    private readonly fineBuckets: number,
    private readonly fineWidthMs: number,
  ) {
    // Sized from the header only up to a bound: the count is the file's claim, grown as read.
    this.epochTimes = new Float64Array(header.kind === 'content' && header.epochCount > 0 ? Math.min(header.epochCount, 1 << 16) : 1024);
  }

  private noteEpochTime(timeMs: number): void {
    if (this.epochTimesCount === this.epochTimes.length) {
      const grown = new Float64Array(this.epochTimes.length * 2);
      grown.set(this.epochTimes);
      this.epochTimes = grown;
    }
    this.epochTimes[this.epochTimesCount++] = timeMs;
  }

  contentBatch(batch: TraceBatch): void {
    const timeMs = batch.time * this.unitMs;
    if (Number.isNaN(this.origin)) {
      this.origin = timeMs;
      this.epochStart = timeMs;
      this.previousEpoch = timeMs;
    }
    this.last = timeMs;
    const pages = batch.pages;
    const kinds = batch.kinds!;
    if (this.inInitial) {
      for (let i = 0; i < batch.count; i++) {
        if (kinds[i] !== PAGE_ZERO) this.initialPages++;
        if (pages[i]! > this.maxPage) this.maxPage = pages[i]!;
      }
      if (!batch.continued) {
        this.inInitial = false;
        this.epochs++;
        this.noteEpochTime(timeMs);
      }
      return;
    }
    this.histogram ??= new TimeHistogram(this.fineBuckets, this.fineWidthMs);
    if (timeMs !== this.epochStart) {
      this.previousEpoch = this.epochStart;
      this.epochStart = timeMs;
    }
    const changed = batch.changedBytes!;
    let maxPage = this.maxPage;
    let zeroWrites = 0;
    let unchangedWrites = 0;
    let changedBytes = 0;
    if (batch.pagesCounted !== true) this.counter.addAll(pages, batch.count);
    for (let i = 0; i < batch.count; i++) {
      const page = pages[i]!;
      if (page > maxPage) maxPage = page;
      const kind = kinds[i]!;
      if (kind === PAGE_ZERO) zeroWrites++;
      else if (kind === PAGE_UNCHANGED) unchangedWrites++;
      changedBytes += changed[i]!;
    }
    this.maxPage = maxPage;
    this.zeroWrites += zeroWrites;
    this.unchangedWrites += unchangedWrites;
    this.changedBytes += changedBytes;
    this.dirtyings += batch.count;
    this.histogram.add(this.previousEpoch - this.origin, timeMs - this.origin, batch.continued ? 0 : 1, batch.count);
    if (!batch.continued) {
      this.epochs++;
      this.noteEpochTime(timeMs);
    }
  }

  accessBatch(batch: TraceBatch): void {
    const times = batch.times!;
    for (let i = 0; i < batch.count; i++) {
      const timeMs = times[i]! * this.unitMs;
      if (Number.isNaN(this.origin)) this.origin = timeMs;
      this.last = Number.isNaN(this.last) ? timeMs : Math.max(this.last, timeMs);
      const page = batch.pages[i]!;
      this.counter.add(page);
      if (page > this.maxPage) this.maxPage = page;
      this.histogram ??= new TimeHistogram(this.fineBuckets, this.fineWidthMs);
      const offset = Math.max(0, timeMs - this.origin);
      this.histogram.add(offset, offset, 0, 1);
    }
    this.dirtyings += batch.count;
    this.epochs++;
  }
}

export interface TraceInfoOptions extends TraceSourceOptions {
  buckets?: number;
  hotShare?: number;
  /**
   * Decode every page into an image even when the end record holds what the image would tell
   * (default false: a trace whose writer saw every page, which it notes in the end record, is
   * read without building a page image; the figures are the same either way).
   */
  decodePages?: boolean;
}

export async function traceInfo(path: string, options: TraceInfoOptions = {}): Promise<TraceInfo> {
  const source = new TraceSource(path, options);
  const header = source.header;
  const unitMs = TIME_UNITS[header.timeUnit];
  const hotShare = options.hotShare ?? 0.9;
  const buckets = options.buckets ?? 20;
  if (!(Number.isInteger(buckets) && buckets >= 1 && buckets <= 100_000)) throw new TraceError(`--buckets must be an integer in 1..100000, got ${buckets}`);
  // A fine histogram (its width doubling as needed), rebinned into `buckets` rows at the end.
  const fineBuckets = 4096;
  // Starting at one time unit (widths double as the trace goes on), so that a trace shorter
  // than a millisecond still gets rows finer than itself.
  const fineWidthMs = Math.min(1, unitMs);
  // What only the pages' contents would tell (zero pages at the end, bytes that zero-page
  // entries cleared) is in the end record when the writer saw every page: then no image is
  // built (at 2-3 us a page fault, most of the time on a sparse trace). Else it is decoded.
  const totals = header.kind === 'content' && options.decodePages !== true ? source.endTotals() : null;
  const fromTotals = totals !== null && isCount(totals.nonZeroPages) && isCount(totals.zeroedBytes);
  const image = fromTotals ? null : new SparseImage(header.pageSize, header.pageCount);
  const target: PageTarget = image === null ? new CountOnlyTarget(header.pageSize) : new SparseTarget(image);
  let batches = 0;
  let timed = true;
  const tally = new InfoTally(header, unitMs, fineBuckets, fineWidthMs);
  try {
    for (;;) {
      // Changed bytes count only after the initial image (its pages are all "new").
      const batch = source.next(target, header.kind === 'content' && !tally.inInitial);
      if (!batch) break;
      if (++batches % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (header.kind === 'content') {
        tally.contentBatch(batch);
        // After the initial image (whose pages are not counted), the addon counts each record's
        // pages as it parses it, where the reader's bound on page numbers is small enough.
        if (!tally.inInitial && target instanceof CountOnlyTarget && target.pageCounts === null) target.pageCounts = tally.counter.slotsBelow(source.pageLimit);
      } else tally.accessBatch(batch);
    }
    timed = source.timed;
    // The totals read ahead must be those of the end record met in order.
    const inOrder = source.endRecordTotals;
    if (fromTotals && (inOrder === null || inOrder.nonZeroPages !== totals!.nonZeroPages || inOrder.zeroedBytes !== totals!.zeroedBytes)) {
      throw new TraceError(`${path}: corrupt: the end record read ahead (content totals) is not the one the records lead to`);
    }
    // Bytes cleared by zero-page entries after the first epoch: at most a page each.
    const zeroWrites = tally.zeroWrites;
    if (fromTotals && (totals!.zeroedBytes as number) > zeroWrites * header.pageSize) {
      throw new TraceError(`${path}: corrupt end record: zeroedBytes ${totals!.zeroedBytes as number} is more than the ${zeroWrites} zero-page writes after the first epoch can clear (${zeroWrites * header.pageSize} bytes)`);
    }
  } finally {
    source.close();
  }
  const { counter, histogram, origin, last, epochs, initialPages, dirtyings, zeroWrites, unchangedWrites, epochTimes, epochTimesCount } = tally;
  let changedBytes = tally.changedBytes;
  const pageCount = header.pageCount > 0 ? header.pageCount : tally.maxPage + 1;
  if (header.format === 'text') header.pageCount = pageCount;
  let zeroPages: number | null = null;
  if (header.kind === 'content') {
    if (image !== null) zeroPages = pageCount - image.nonZeroPages();
    else {
      // Within the page count: the reader checked it at the end record.
      zeroPages = pageCount - (totals!.nonZeroPages as number);
      changedBytes += totals!.zeroedBytes as number;
    }
  }
  const durationMs = Number.isNaN(origin) ? 0 : last - origin;
  const content = header.kind === 'content';
  const laterEpochs = content ? Math.max(0, epochs - 1) : epochs;
  return {
    path,
    header,
    fileFormat: header.format === 'binary' ? `pagedelta binary v${header.version}` : 'text (page or time,page per line)',
    durationMs,
    epochs,
    initialPages,
    dirtyings,
    distinctPages: counter.distinct,
    hotSetPages: counter.hotSet(hotShare, dirtyings),
    hotShare,
    meanPagesPerEpoch: laterEpochs > 0 ? dirtyings / laterEpochs : 0,
    zeroPageFraction: content && pageCount > 0 ? zeroPages! / pageCount : null,
    zeroWriteFraction: content ? (dirtyings > 0 ? zeroWrites / dirtyings : 0) : null,
    unchangedWriteFraction: content ? (dirtyings > 0 ? unchangedWrites / dirtyings : 0) : null,
    meanChangedBytes: content ? (dirtyings > 0 ? changedBytes / dirtyings : 0) : null,
    contentFiguresFrom: content ? (image === null ? 'end record' : 'decoded pages') : null,
    timed,
    // Untimed, or every access at one instant: there is no rate over time to show.
    rate: histogram && timed && durationMs > 0 ? histogram.rows(origin, durationMs, buckets) : [],
    intervals: content ? intervalStats(epochTimes, epochTimesCount) ?? null : null,
    askedIntervalMs: typeof header.recorder.intervalMs === 'number' ? header.recorder.intervalMs : typeof header.recorder.stepMs === 'number' ? header.recorder.stepMs : null,
  };
}

/** The info as tables: header, summary, dirty rate over time. */
export function traceInfoTables(info: TraceInfo): Table[] {
  const h = info.header;
  const content = h.kind === 'content';
  const headerRows: [string, string | number][] = [
    ['file', info.path],
    ['format', info.fileFormat],
    ['kind', content ? 'content (page bytes per epoch)' : 'access-only (time, page)'],
    ['page size', h.pageSize],
    ['pages', h.pageCount],
    ['time unit', h.timeUnit],
    ['source', h.source],
    ['recorder', JSON.stringify(h.recorder)],
    ['regions', h.regions.length],
  ];
  if (h.createdAt) headerRows.push(['created', h.createdAt]);
  if (h.format === 'binary') headerRows.push(['closed by writer', String(h.complete)]);
  const noRate = !info.timed ? 'n/a (untimed: pages in order, no times)' : info.durationMs > 0 ? null : info.dirtyings > 0 ? 'n/a (everything at one instant)' : 'n/a (empty)';
  // Row edges to the precision their width needs (a trace shorter than a millisecond has rows of microseconds).
  const rowWidthMs = info.rate.length > 0 ? info.rate[0]!.toMs - info.rate[0]!.fromMs : 1;
  const timeDigits = rowWidthMs >= 10 ? 0 : Math.min(6, Math.ceil(-Math.log10(rowWidthMs)) + 1);
  const perSecond = noRate ?? `${((info.dirtyings * 1000) / info.durationMs).toFixed(1)} pages/s`;
  const summary: [string, string | number][] = [
    ['duration', info.timed ? `${(info.durationMs / 1000).toFixed(3)} s` : 'untimed'],
    [content ? 'epochs' : 'access batches', info.epochs],
  ];
  if (content) summary.push(['initial image', `${info.initialPages} non-zero pages (${formatBytes(info.initialPages * h.pageSize)})`]);
  summary.push(
    [content ? 'page dirtyings after the initial image' : 'accesses', info.dirtyings],
    [content ? 'distinct pages dirtied' : 'distinct pages', `${info.distinctPages} (${formatBytes(info.distinctPages * h.pageSize)})`],
    [`hot set (${Math.round(info.hotShare * 100)}% of ${content ? 'dirtyings' : 'accesses'})`, `${info.hotSetPages} pages`],
    [content ? 'mean dirty rate' : 'mean access rate', perSecond],
  );
  if (content) {
    summary.push([
      `achieved interval${info.askedIntervalMs !== null ? ` (asked ${info.askedIntervalMs} ms)` : ''}`,
      info.intervals ? formatIntervals(info.intervals) : 'fewer than two epochs',
    ]);
    summary.push(
      ['mean pages per epoch', info.meanPagesPerEpoch.toFixed(1)],
      ['zero pages at the end', `${((info.zeroPageFraction ?? 0) * 100).toFixed(2)}% (from the ${info.contentFiguresFrom})`],
      ['writes that zero a page', `${((info.zeroWriteFraction ?? 0) * 100).toFixed(2)}%`],
      ['writes with unchanged bytes', `${((info.unchangedWriteFraction ?? 0) * 100).toFixed(2)}%`],
      ['mean changed bytes per dirtied page', (info.meanChangedBytes ?? 0).toFixed(1)],
    );
  }
  return [
    { title: 'Trace header', columns: [{ key: 'field' }, { key: 'value' }], rows: headerRows.map(([field, value]) => ({ field, value })) },
    { title: 'Summary', columns: [{ key: 'metric' }, { key: 'value' }], rows: summary.map(([metric, value]) => ({ metric, value })) },
    {
      title: `${content ? 'Dirty rate over time' : 'Access rate over time'}${noRate ? `: ${noRate}` : ''}`,
      columns: [
        { key: 'fromMs', title: 'from ms', digits: timeDigits },
        { key: 'toMs', title: 'to ms', digits: timeDigits },
        ...(content ? [{ key: 'epochs' }] : []),
        { key: 'pages', title: content ? 'pages dirtied' : 'accesses', digits: 1 },
        { key: 'pagesPerSecond', title: 'pages/s', digits: 1 },
      ],
      rows: info.rate.map((bucket) => ({ ...bucket })),
    },
  ];
}
