/**
 * Tables from result rows: one metric (throughput, ratio, downtime, total time, wire bytes,
 * cache miss rate, ...), grouped by any dimensions and optionally pivoted so that the values
 * of one dimension become columns. Rows sharing a group (e.g. several seeds) are aggregated
 * (median by default) and counted.
 */
import { formatBandwidth, formatBytes, formatDuration } from '../units/quantities.js';
import type { ResultRow } from './rows.js';
import type { Column, Row, Table } from './table.js';

export interface MetricField {
  field: string;
  title: string;
  digits: number;
  /** Multiplies the stored value for display (e.g. bytes -> MB). */
  scale?: number;
}

export interface Metric {
  name: string;
  title: string;
  fields: MetricField[];
}

export const METRICS: readonly Metric[] = [
  {
    name: 'throughput',
    title: 'Throughput (MB/s = 10^6 bytes of input page per second; median over batches)',
    fields: [
      { field: 'encodeMBps', title: 'enc MB/s', digits: 0 },
      { field: 'decodeMBps', title: 'dec MB/s', digits: 0 },
    ],
  },
  {
    name: 'throughput-vs-xor',
    title: 'Throughput as a ratio to a plain XOR pass measured in the same run',
    fields: [
      { field: 'encodeVsXor', title: 'enc / XOR', digits: 3 },
      { field: 'decodeVsXor', title: 'dec / XOR', digits: 3 },
    ],
  },
  { name: 'ratio', title: 'Compression ratio (encoded bytes / page size)', fields: [{ field: 'ratio', title: 'ratio', digits: 4 }] },
  { name: 'downtime', title: 'Downtime (ms)', fields: [{ field: 'downtimeMs', title: 'downtime ms', digits: 1 }] },
  { name: 'total-time', title: 'Total migration time (s)', fields: [{ field: 'totalTimeMs', title: 'total s', digits: 2, scale: 1e-3 }] },
  { name: 'wire-bytes', title: 'Bytes on the wire (MB = 10^6 bytes)', fields: [{ field: 'wireBytes', title: 'wire MB', digits: 2, scale: 1e-6 }] },
  { name: 'miss-rate', title: 'Cache miss rate', fields: [{ field: 'missRate', title: 'miss rate', digits: 4 }] },
  { name: 'hit-ratio', title: 'Cache hit ratio', fields: [{ field: 'hitRatio', title: 'hit ratio', digits: 4 }] },
  { name: 'rounds', title: 'Pre-copy rounds', fields: [{ field: 'rounds', title: 'rounds', digits: 0 }] },
  { name: 'converged', title: 'Share of runs that converged', fields: [{ field: 'converged', title: 'converged', digits: 2 }] },
];

export function metricNames(): string[] {
  return METRICS.map((metric) => metric.name);
}

export function getMetric(name: string): Metric {
  const metric = METRICS.find((candidate) => candidate.name === name);
  if (!metric) throw new Error(`unknown metric "${name}"; valid: ${metricNames().join(', ')}`);
  return metric;
}

/** The dimensions a row may carry, in display order. */
export const DIMENSIONS = [
  'kind',
  'workload',
  'source',
  'scenario',
  'ramBytes',
  'bandwidthBps',
  'downtimeLimitMs',
  'mode',
  'codec',
  'cache',
  'cacheBytes',
  'seed',
] as const;

/** A dimension value for display: sizes in MiB/GiB, bandwidths in bit/s, durations. */
export function formatDimension(dimension: string, value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') {
    if (dimension === 'ramBytes' || dimension === 'cacheBytes') return value === 0 ? '-' : formatBytes(value);
    if (dimension === 'bandwidthBps') return formatBandwidth(value);
    if (dimension === 'downtimeLimitMs') return formatDuration(value);
  }
  if ((dimension === 'source' || dimension === 'workload') && typeof value === 'string' && value.startsWith('trace:')) {
    // The file's name, not the path it had on the machine that ran it.
    return `trace:${value.slice(6).split('/').pop()}`;
  }
  return String(value);
}

/** Dimensions in words, for plot panels and captions (`link 1 Gbit/s`, not `bandwidthBps=...`). */
export const DIMENSION_WORDS: Readonly<Record<string, string>> = {
  kind: 'kind',
  workload: 'workload',
  source: 'source',
  scenario: 'scenario',
  ramBytes: 'guest',
  bandwidthBps: 'link',
  downtimeLimitMs: 'downtime limit',
  mode: 'mode',
  codec: 'codec',
  cache: 'cache',
  cacheBytes: 'cache size',
  seed: 'seed',
};

/** `guest 64 MiB`, `link 1 Gbit/s`: a dimension and its value in words. */
export function describeDimension(dimension: string, value: unknown): string {
  return `${DIMENSION_WORDS[dimension] ?? dimension} ${formatDimension(dimension, value)}`;
}

/** The series name of migrations without compression (codec `none`) beside cache policies. */
export const NO_COMPRESSION = 'no compression';

/**
 * Migration rows of cache policies, with each no-compression migration (codec `none`, no
 * cache) repeated at every cache size that rows of the same workload, guest, link, limit and
 * mode were run at, as the series `no compression`: the baseline a cache is judged against,
 * drawn beside the policies. Its figures do not depend on the cache size; only its x does.
 * Rows that are neither (other kinds, whole-page codecs) are dropped.
 */
export function withNoCompressionBaseline(rows: ResultRow[]): ResultRow[] {
  const cached = rows.filter((row) => row.kind === 'migration' && row.cache !== null && row.cache !== undefined);
  const baseline = rows.filter((row) => row.kind === 'migration' && row.codec === 'none');
  if (baseline.length === 0) return cached;
  const context = (row: ResultRow): string =>
    JSON.stringify(DIMENSIONS.filter((d) => d !== 'codec' && d !== 'cache' && d !== 'cacheBytes' && d !== 'seed').map((d) => row[d] ?? null));
  const placesByContext = new Map<string, Map<string, { codec: unknown; cacheBytes: unknown }>>();
  for (const row of cached) {
    const places = placesByContext.get(context(row)) ?? new Map<string, { codec: unknown; cacheBytes: unknown }>();
    places.set(JSON.stringify([row.codec, row.cacheBytes]), { codec: row.codec, cacheBytes: row.cacheBytes });
    placesByContext.set(context(row), places);
  }
  const spread: ResultRow[] = [];
  for (const row of baseline) {
    for (const place of placesByContext.get(context(row))?.values() ?? []) {
      spread.push({ ...row, codec: place.codec, cache: NO_COMPRESSION, cacheBytes: place.cacheBytes } as ResultRow);
    }
  }
  return [...cached, ...spread];
}

export type Aggregate = 'median' | 'mean' | 'min' | 'max';
export const AGGREGATES: readonly Aggregate[] = ['median', 'mean', 'min', 'max'];

function aggregate(values: number[], how: Aggregate): number | null {
  if (values.length === 0) return null;
  switch (how) {
    case 'mean':
      // A running mean: a sum of values near the largest double would overflow to Infinity.
      return values.reduce((mean, value, index) => mean + (value - mean) / (index + 1), 0);
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'median': {
      const sorted = [...values].sort((a, b) => a - b);
      const middle = sorted.length >> 1;
      return sorted.length % 2 === 1 ? sorted[middle]! : sorted[middle - 1]! / 2 + sorted[middle]! / 2;
    }
  }
}

function numeric(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

/** Dimensions whose value differs between rows. */
export function varyingDimensions(rows: ResultRow[]): string[] {
  return DIMENSIONS.filter((dimension) => new Set(rows.map((row) => JSON.stringify(row[dimension] ?? null))).size > 1);
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

export interface TableOptions {
  metric: string;
  /** Dimensions that identify a table row (default: every varying dimension except seed and the pivot). */
  groupBy?: string[];
  /** A dimension whose values become columns. */
  pivot?: string;
  /** How rows of one group combine (default median). */
  aggregate?: Aggregate;
  /** Keep only rows whose fields equal these values (formatted or raw). */
  where?: Record<string, string>;
}

/** Keeps the rows matching every `field=value` condition (value as stored or as displayed). */
export function filterRows(rows: ResultRow[], where: Record<string, string> | undefined): ResultRow[] {
  if (!where) return rows;
  const conditions = Object.entries(where);
  for (const [field] of conditions) {
    if (!rows.some((row) => field in row)) throw new Error(`no row has a field "${field}" to filter on`);
  }
  const kept = rows.filter((row) =>
    conditions.every(([field, wanted]) => String(row[field] ?? '') === wanted || formatDimension(field, row[field]) === wanted),
  );
  // Said here: later checks ("no rows carry the metric") would blame the rows, not the filter.
  if (kept.length === 0 && rows.length > 0) {
    throw new Error(`no result rows match --where ${conditions.map(([field, wanted]) => `${field}=${wanted}`).join(',')} (of ${rows.length} rows)`);
  }
  return kept;
}

/** Parses `codec=xbzrle,cache=lru` into conditions. */
export function parseWhere(text: string[] | undefined): Record<string, string> | undefined {
  if (!text || text.length === 0) return undefined;
  const where: Record<string, string> = {};
  for (const item of text.flatMap((part) => part.split(','))) {
    const match = /^\s*([A-Za-z][\w-]*)\s*=\s*(.*?)\s*$/.exec(item);
    if (!match) throw new Error(`--where takes FIELD=VALUE, got "${item}"`);
    where[match[1]!] = match[2]!;
  }
  return where;
}

/** Builds the table of one metric. */
export function metricTable(allRows: ResultRow[], options: TableOptions): Table {
  const metric = getMetric(options.metric);
  const how = options.aggregate ?? 'median';
  const rows = filterRows(allRows, options.where).filter((row) => metric.fields.some((field) => numeric(row[field.field]) !== null));
  if (rows.length === 0) {
    throw new Error(`no result rows carry the metric "${metric.name}" (${metric.fields.map((field) => field.field).join(', ')})`);
  }
  const known = new Set<string>([...DIMENSIONS, ...Object.keys(rows[0]!)]);
  for (const dimension of [...(options.groupBy ?? []), ...(options.pivot ? [options.pivot] : [])]) {
    if (!known.has(dimension)) throw new Error(`unknown dimension "${dimension}"; valid: ${DIMENSIONS.join(', ')}`);
  }
  const pivot = options.pivot;
  const groupBy = (options.groupBy ?? varyingDimensions(rows).filter((dimension) => dimension !== 'seed')).filter((d) => d !== pivot);

  const pivotValues = pivot ? [...new Set(rows.map((row) => JSON.stringify(row[pivot] ?? null)))].map((text) => JSON.parse(text) as unknown) : [null];
  pivotValues.sort(compareValues);

  interface Group {
    keyValues: unknown[];
    byPivot: Map<string, ResultRow[]>;
  }
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const keyValues = groupBy.map((dimension) => row[dimension] ?? null);
    const groupKey = JSON.stringify(keyValues);
    let group = groups.get(groupKey);
    if (!group) {
      group = { keyValues, byPivot: new Map() };
      groups.set(groupKey, group);
    }
    const pivotKey = JSON.stringify(pivot ? (row[pivot] ?? null) : null);
    const list = group.byPivot.get(pivotKey) ?? [];
    list.push(row);
    group.byPivot.set(pivotKey, list);
  }
  const ordered = [...groups.values()].sort((a, b) => {
    for (let i = 0; i < groupBy.length; i++) {
      const order = compareValues(a.keyValues[i], b.keyValues[i]);
      if (order !== 0) return order;
    }
    return 0;
  });

  const columns: Column[] = groupBy.map((dimension) => ({ key: dimension }));
  const valueColumns: { key: string; field: MetricField; pivotKey: string }[] = [];
  for (const pivotValue of pivotValues) {
    const pivotKey = JSON.stringify(pivotValue);
    for (const field of metric.fields) {
      if (!rows.some((row) => numeric(row[field.field]) !== null)) continue;
      const title = pivot ? (metric.fields.length > 1 ? `${formatDimension(pivot, pivotValue)} ${field.title}` : formatDimension(pivot, pivotValue)) : field.title;
      // A field name (metric@value, no JSON quotes): the CSV header and the JSON key.
      const key = pivot ? `${field.field}@${String(pivotValue)}` : field.field;
      valueColumns.push({ key, field, pivotKey });
      columns.push({ key, title, digits: field.digits });
    }
  }
  if (!pivot) columns.push({ key: 'n', title: 'runs' });

  const tableRows: Row[] = ordered.map((group) => {
    const out: Row = {};
    groupBy.forEach((dimension, i) => {
      out[dimension] = formatDimension(dimension, group.keyValues[i]);
    });
    let count = 0;
    for (const column of valueColumns) {
      const members = group.byPivot.get(column.pivotKey) ?? [];
      const values = members.map((row) => numeric(row[column.field.field])).filter((value): value is number => value !== null);
      const value = aggregate(values, how);
      out[column.key] = value === null ? null : value * (column.field.scale ?? 1);
      count = Math.max(count, members.length);
    }
    if (!pivot) out.n = count;
    return out;
  });

  const seeds = [...new Set(rows.map((row) => row.seed).filter((seed) => seed !== undefined && seed !== null))].sort(compareValues);
  const notes = [
    `${rows.length} result rows; ${how} over rows that share ${groupBy.length > 0 ? groupBy.join(', ') : 'everything'}${pivot ? ` and ${pivot}` : ''}.`,
  ];
  if (seeds.length > 0) notes.push(`Seeds: ${seeds.join(', ')}.`);
  return { title: metric.title, columns, rows: tableRows, notes };
}

/** Metrics that at least one row carries (for reports). */
export function availableMetrics(rows: ResultRow[]): string[] {
  return METRICS.filter((metric) => rows.some((row) => metric.fields.some((field) => numeric(row[field.field]) !== null))).map((metric) => metric.name);
}
