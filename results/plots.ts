/**
 * Plots of result rows as vega-lite specs, rendered headlessly to SVG by vega (no DOM, no
 * network) and to PNG by resvg. Kinds: downtime (or miss rate) vs cache size per policy,
 * total time vs bandwidth per codec, ratio vs encode throughput per codec and scenario, and
 * the per-round timeline of one migration.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { ResultRow } from './rows.js';
import { describeDimension, DIMENSIONS, filterRows, formatDimension, NO_COMPRESSION, withNoCompressionBaseline } from './views.js';

import { PLOT_DESCRIPTIONS, PLOT_KINDS, type PlotKind } from './plot-kinds.js';
import { median } from '../units/statistics.js';
import { writeFileAtomic } from '../io/write-file.js';

export { PLOT_DESCRIPTIONS, PLOT_KINDS, type PlotKind };

/** A figure: a name (file stem), a title and the vega-lite spec to render. */
export interface Figure {
  name: string;
  title: string;
  spec: TopLevelSpec | object;
  /** What the figure was drawn from (for captions). */
  caption?: string;
}

export interface PlotOptions {
  /** Keep only rows matching these `field=value` conditions. */
  where?: Record<string, string>;
  /** timeline: the cell key of the migration to draw (default the first migration row). */
  cell?: string;
  title?: string;
}

const BASE_CONFIG = {
  background: 'white',
  font: 'DejaVu Sans, sans-serif',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  title: { fontSize: 14, anchor: 'start' as const },
};

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Median of `y` over rows that share every dimension except seed; `panel` names the
 * dimensions (other than x and series) that vary, so each combination gets its own panel.
 */
function aggregatePoints(
  rows: ResultRow[],
  xField: string,
  yField: string,
  seriesField: string,
  extra: Record<string, (row: ResultRow) => unknown> = {},
): { points: Record<string, unknown>[]; panelDimensions: string[] } {
  const usable = rows.filter((row) => isNumber(row[xField]) && isNumber(row[yField]));
  const panelDimensions = DIMENSIONS.filter(
    (dimension) =>
      dimension !== xField &&
      dimension !== seriesField &&
      dimension !== 'seed' &&
      new Set(usable.map((row) => JSON.stringify(row[dimension] ?? null))).size > 1,
  );
  const groups = new Map<string, ResultRow[]>();
  for (const row of usable) {
    const key = JSON.stringify([row[xField], row[seriesField] ?? null, ...panelDimensions.map((d) => row[d] ?? null)]);
    const list = groups.get(key) ?? [];
    list.push(row);
    groups.set(key, list);
  }
  const points = [...groups.values()].map((members) => {
    const first = members[0]!;
    const point: Record<string, unknown> = {
      x: first[xField],
      y: median(members.map((row) => row[yField] as number)),
      series: formatDimension(seriesField, first[seriesField]),
      runs: members.length,
      panel: panelDimensions
        .filter((d) => first[d] !== null && first[d] !== undefined)
        .map((d) => describeDimension(d, first[d]))
        .join('; '),
    };
    for (const [name, get] of Object.entries(extra)) point[name] = get(first);
    return point;
  });
  return { points, panelDimensions };
}

function lineChart(options: {
  name: string;
  title: string;
  points: Record<string, unknown>[];
  panelDimensions: string[];
  xTitle: string;
  yTitle: string;
  seriesTitle: string;
  xScale?: Record<string, unknown>;
  yScale?: Record<string, unknown>;
  xTransform?: string;
  yTransform?: string;
  /** Axis ticks exactly at these x values (after xTransform). */
  xTicks?: number[];
  caption: string;
}): Figure {
  const inner = {
    width: 420,
    height: 260,
    transform: [
      ...(options.xTransform ? [{ calculate: options.xTransform, as: 'x' }] : []),
      ...(options.yTransform ? [{ calculate: options.yTransform, as: 'y' }] : []),
    ],
    // Series that coincide (two policies with the same downtimes) stay visible: each has its
    // own dash pattern and point shape as well as its colour, and the points sit above the lines.
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative' as const,
        title: options.xTitle,
        scale: options.xScale ?? {},
        ...(options.xTicks ? { axis: { values: options.xTicks, labelFlush: false } } : {}),
      },
      y: { field: 'y', type: 'quantitative' as const, title: options.yTitle, scale: options.yScale ?? {} },
      color: { field: 'series', type: 'nominal' as const, title: options.seriesTitle },
      tooltip: [{ field: 'series' }, { field: 'x' }, { field: 'y' }, { field: 'runs' }],
    },
    layer: [
      { mark: { type: 'line' as const, strokeWidth: 2 }, encoding: { strokeDash: { field: 'series', type: 'nominal' as const, title: options.seriesTitle } } },
      { mark: { type: 'point' as const, filled: false, size: 90, strokeWidth: 2 }, encoding: { shape: { field: 'series', type: 'nominal' as const, title: options.seriesTitle } } },
    ],
  };
  // A panel with one x value would be one dot per series: show those values as bars instead.
  const xsPerPanel = new Map<string, Set<unknown>>();
  for (const point of options.points) {
    const xs = xsPerPanel.get(String(point.panel)) ?? new Set<unknown>();
    xs.add(point.x);
    xsPerPanel.set(String(point.panel), xs);
  }
  if ([...xsPerPanel.values()].every((xs) => xs.size === 1)) {
    const x = inner.encoding.x;
    Object.assign(inner, {
      encoding: {
        x: { field: 'series', type: 'nominal' as const, title: options.seriesTitle },
        y: inner.encoding.y,
        color: inner.encoding.color,
        tooltip: inner.encoding.tooltip,
      },
      layer: [{ mark: { type: 'bar' as const } }],
    });
    options.caption = `${options.caption} Every panel has a single ${x.title.replace(/ \(.*\)$/, '')} value, so the series are bars.`;
  }
  const faceted = options.panelDimensions.length > 0;
  const spec = (
    faceted
      ? {
          $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
          title: options.title,
          data: { values: options.points },
          // One line per dimension, so long workload specs stay readable.
          facet: { field: 'panel', type: 'nominal', title: null, header: { labelFontSize: 11, labelLimit: 0, labelExpr: "split(datum.label, '; ')" } },
          columns: 2,
          spec: inner,
          config: BASE_CONFIG,
        }
      : { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: options.title, data: { values: options.points }, ...inner, config: BASE_CONFIG }
  ) as TopLevelSpec;
  return { name: options.name, title: options.title, spec, caption: options.caption };
}

function distinct(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function requirePoints(points: unknown[], kind: PlotKind, what: string): void {
  if (points.length === 0) throw new Error(`no result rows to plot for ${kind}: it needs ${what}`);
}

/** Builds the figure of one kind from result rows. */
export function buildFigure(kind: PlotKind, allRows: ResultRow[], options: PlotOptions = {}): Figure {
  const rows = filterRows(allRows, options.where);
  switch (kind) {
    case 'downtime-vs-cache-size': {
      // Migrations without compression (codec none) are the baseline series beside the policies.
      const source = withNoCompressionBaseline(rows).filter((row) => isNumber(row.cacheBytes) && row.cacheBytes > 0);
      // The baseline migrations drawn (one per workload, guest, link, limit, mode and seed).
      const baselineRuns = new Set(
        source.filter((row) => row.cache === NO_COMPRESSION).map((row) => JSON.stringify(DIMENSIONS.filter((d) => d !== 'codec' && d !== 'cacheBytes').map((d) => row[d] ?? null))),
      ).size;
      const { points, panelDimensions } = aggregatePoints(source, 'cacheBytes', 'downtimeMs', 'cache');
      requirePoints(points, kind, 'migration rows with a cache and a downtime');
      return lineChart({
        name: kind,
        title: options.title ?? 'Downtime vs cache size, per cache policy',
        points,
        panelDimensions,
        xTitle: 'cache size (MiB, log scale)',
        yTitle: 'downtime (ms)',
        xTicks: distinct(points.map((point) => (point.x as number) / 1048576)),
        seriesTitle: 'cache policy',
        xTransform: 'datum.x / 1048576',
        xScale: { type: 'log', base: 2 },
        caption:
          `Median over seeds of ${source.filter((row) => row.cache !== NO_COMPRESSION).length} migration rows.` +
          (baselineRuns > 0
            ? ` "${NO_COMPRESSION}" is ${baselineRuns} migration${baselineRuns === 1 ? '' : 's'} with codec none, drawn at every cache size (it uses no cache).`
            : ' No migration with codec none is among the rows, so there is no no-compression baseline.'),
      });
    }
    case 'miss-rate-vs-cache-size': {
      const source = rows.filter((row) => row.cache !== null && isNumber(row.cacheBytes) && row.cacheBytes > 0 && isNumber(row.missRate));
      const { points, panelDimensions } = aggregatePoints(source, 'cacheBytes', 'missRate', 'cache');
      requirePoints(points, kind, 'rows with a cache size and a miss rate');
      return lineChart({
        name: kind,
        title: options.title ?? 'Cache miss rate vs cache size, per policy',
        points,
        panelDimensions,
        xTitle: 'cache size (MiB, log scale)',
        yTitle: 'miss rate',
        xTicks: distinct(points.map((point) => (point.x as number) / 1048576)),
        seriesTitle: 'cache policy',
        xTransform: 'datum.x / 1048576',
        xScale: { type: 'log', base: 2 },
        yScale: { domain: [0, 1] },
        caption: `Median over seeds of ${source.length} rows.`,
      });
    }
    case 'time-vs-bandwidth': {
      // A series is a codec with its cache (none and whole-page codecs have no cache).
      const source = rows
        .filter((row) => row.kind === 'migration')
        .map((row) => ({
          ...row,
          codec: row.cache ? `${row.codec} (${row.cache} ${formatDimension('cacheBytes', row.cacheBytes)})` : row.codec,
          cache: null,
          cacheBytes: null,
        }));
      const { points, panelDimensions } = aggregatePoints(source, 'bandwidthBps', 'totalTimeMs', 'codec');
      requirePoints(points, kind, 'migration rows');
      return lineChart({
        name: kind,
        title: options.title ?? 'Total migration time vs bandwidth, per codec',
        points,
        panelDimensions,
        xTitle: 'bandwidth (Gbit/s, log scale)',
        xTicks: distinct(points.map((point) => ((point.x as number) * 8) / 1e9)),
        yTitle: 'total time (s)',
        seriesTitle: 'codec (cache)',
        xTransform: 'datum.x * 8 / 1e9',
        yTransform: 'datum.y / 1000',
        xScale: { type: 'log' },
        caption: `Median over seeds of ${source.length} migration rows; runs that did not converge are shown at their capped time.`,
      });
    }
    case 'ratio-vs-throughput': {
      const source = rows.filter((row) => row.kind === 'codec' && isNumber(row.encodeMBps) && isNumber(row.ratio));
      requirePoints(source, kind, 'codec rows (kinds: [codec])');
      const points = source.map((row) => ({
        codec: row.codec,
        scenario: row.scenario,
        encodeMBps: row.encodeMBps,
        ratio: row.ratio,
        encodeVsXor: row.encodeVsXor,
      }));
      const spec = {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: options.title ?? 'Compression ratio vs encode throughput, per codec and scenario',
        data: { values: points },
        width: 480,
        height: 320,
        layer: [
          {
            mark: { type: 'point', filled: true, size: 90 },
            encoding: {
              x: { field: 'encodeMBps', type: 'quantitative', title: 'encode throughput (MB/s, log scale)', scale: { type: 'log' } },
              y: { field: 'ratio', type: 'quantitative', title: 'encoded size / page size (lower is better)' },
              color: { field: 'codec', type: 'nominal', title: 'codec' },
              shape: { field: 'scenario', type: 'nominal', title: 'scenario' },
              tooltip: [{ field: 'codec' }, { field: 'scenario' }, { field: 'encodeMBps' }, { field: 'ratio' }],
            },
          },
        ],
        config: BASE_CONFIG,
      } as unknown as TopLevelSpec;
      return {
        name: kind,
        title: 'Compression ratio vs encode throughput',
        spec,
        caption: `${source.length} codec rows; throughput is the median over batches and noisy, the ratio is exact.`,
      };
    }
    case 'timeline': {
      const migrations = rows.filter((row) => row.kind === 'migration' && Array.isArray(row.timeline)).sort((a, b) => a.index - b.index);
      const row = options.cell ? migrations.find((candidate) => candidate.cell === options.cell) : migrations[0];
      if (!row) {
        throw new Error(
          options.cell ? `no migration row with cell "${options.cell}" and a timeline` : 'no migration rows with a timeline to plot',
        );
      }
      return timelineFigure(row, options.title);
    }
  }
}

/** Reads a number from the first of several possible field names of a timeline entry. */
function pick(entry: Record<string, unknown>, names: string[]): number | null {
  for (const name of names) if (isNumber(entry[name])) return entry[name];
  return null;
}

function timelineFigure(row: ResultRow, title: string | undefined): Figure {
  const entries = (row.timeline as Record<string, unknown>[]).filter((entry) => entry !== null && typeof entry === 'object');
  const points: Record<string, unknown>[] = [];
  entries.forEach((entry, position) => {
    const round = pick(entry, ['round']) ?? position;
    const bytes = pick(entry, ['bytes', 'wireBytes', 'bytesSent']);
    const dirty = pick(entry, ['dirtyPagesAtSync', 'dirtyPages', 'dirty']);
    const label = typeof entry.stage === 'string' ? entry.stage : 'pre-copy';
    if (bytes !== null) points.push({ round, value: bytes / 1e6, series: 'MB sent in the round', stage: label });
    if (dirty !== null) points.push({ round, value: dirty, series: 'pages dirty at the sync', stage: label });
  });
  if (points.length === 0) throw new Error('the migration row has a timeline without bytes or dirty-page counts');
  const describeLine = (dimensions: string[]): string =>
    dimensions
      .filter((dimension) => row[dimension] !== undefined && row[dimension] !== null && row[dimension] !== 0)
      .map((dimension) => describeDimension(dimension, row[dimension]))
      .join(', ');
  const describe = [describeLine(['workload', 'ramBytes', 'seed']), describeLine(['codec', 'cache', 'cacheBytes', 'bandwidthBps', 'downtimeLimitMs', 'mode'])];
  const stageOrder = ['bulk', 'iterative', 'pre-copy', 'stop-and-copy'];
  const stageColours: Record<string, string> = { bulk: '#72b7b2', iterative: '#4c78a8', 'pre-copy': '#4c78a8', 'stop-and-copy': '#e45756' };
  const stages = stageOrder.filter((stage) => points.some((point) => point.stage === stage));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title ?? 'Per-round timeline of one migration', subtitle: describe, subtitleFontSize: 10 },
    data: { values: points },
    facet: { row: { field: 'series', type: 'nominal', title: null, header: { labelFontSize: 11 } } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 520,
      height: 150,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'round', type: 'ordinal', title: 'round' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: {
          field: 'stage',
          type: 'nominal',
          title: 'stage',
          scale: { domain: stages, range: stages.map((stage) => stageColours[stage]!) },
        },
        tooltip: [{ field: 'round' }, { field: 'series' }, { field: 'value' }],
      },
    },
    config: BASE_CONFIG,
  } as unknown as TopLevelSpec;
  return {
    name: 'timeline',
    title: 'Per-round timeline',
    spec,
    caption: `Cell ${row.cell}: total ${formatMs(row.totalTimeMs)}, downtime ${formatMs(row.downtimeMs)}, ${row.converged === false ? 'did not converge' : 'converged'}.`,
  };
}

function formatMs(value: unknown): string {
  return isNumber(value) ? `${value.toFixed(1)} ms` : '?';
}

/** The one line shown when the optional plotting packages are not installed. */
export const PLOTTING_MISSING =
  'plotting needs the optional packages vega, vega-lite and @resvg/resvg-js (npm install vega vega-lite @resvg/resvg-js); tables and JSON work without them';

function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/** vega and vega-lite, loaded on first use: the core installs and runs without them. */
async function loadVega(): Promise<{ vega: typeof import('vega'); vegaLite: typeof import('vega-lite') }> {
  try {
    const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
    return { vega, vegaLite };
  } catch (error) {
    if (isMissingModule(error)) throw new Error(PLOTTING_MISSING);
    throw error;
  }
}

function loadResvg(): typeof import('@resvg/resvg-js') {
  try {
    return createRequire(import.meta.url)('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  } catch (error) {
    if (isMissingModule(error)) throw new Error(PLOTTING_MISSING);
    throw error;
  }
}

/** Renders a figure to SVG text (vega's headless SVG renderer). */
export async function renderSvg(figure: Figure): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  const compiled = vegaLite.compile(figure.spec as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders SVG text to PNG bytes (resvg; system fonts, 2x scale for legibility). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const { Resvg } = loadResvg();
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** The kinds of plot the rows can feed (for reports). */
export function availablePlots(rows: ResultRow[]): PlotKind[] {
  return PLOT_KINDS.filter((kind) => {
    try {
      buildFigure(kind, rows);
      return true;
    } catch {
      return false;
    }
  });
}

export function parsePlotKind(text: string): PlotKind {
  if (!(PLOT_KINDS as readonly string[]).includes(text)) throw new Error(`unknown plot kind "${text}"; valid: ${PLOT_KINDS.join(', ')}`);
  return text as PlotKind;
}

/** Writes each figure as NAME.svg and NAME.png into `dir`; returns the paths written. */
export async function writeFigures(figures: Figure[], dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const figure of figures) {
    const svg = await renderSvg(figure);
    const svgPath = join(dir, `${figure.name}.svg`);
    const pngPath = join(dir, `${figure.name}.png`);
    writeFileAtomic(svgPath, svg);
    writeFileAtomic(pngPath, svgToPng(svg));
    written.push(svgPath, pngPath);
  }
  return written;
}
