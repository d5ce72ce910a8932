/**
 * The report of an experiment: every table and plot its rows can feed, as one self-contained
 * HTML file (inline CSS and SVG, no script, no network) and as Markdown with the plots as
 * SVG files beside it.
 */
import type { ResultRow } from './rows.js';
import { availablePlots, buildFigure, type Figure, PLOT_DESCRIPTIONS, renderSvg } from './plots.js';
import { renderMarkdown, type Table } from './table.js';
import { availableMetrics, formatDimension, metricTable, varyingDimensions } from './views.js';

export interface ReportOptions {
  title?: string;
  /** Lines shown under the title (e.g. the results file, corrupt lines skipped). */
  notes?: string[];
  /** Folder name (relative to the Markdown file) holding the SVG plots. */
  assetsDir?: string;
}

export interface Report {
  html: string;
  markdown: string;
  /** Files the Markdown refers to: relative path -> content. */
  assets: Record<string, string>;
  tables: Table[];
  figures: Figure[];
}

/** Sensible default groupings per metric: pivot the dimension a reader compares across. */
function tablesFor(rows: ResultRow[]): Table[] {
  const tables: Table[] = [];
  const byKind = (kind: string): ResultRow[] => rows.filter((row) => row.kind === kind);
  const codecRows = byKind('codec');
  const migrationRows = byKind('migration');
  const cacheRows = byKind('cache');
  const add = (subset: ResultRow[], metric: string, pivot: string | undefined, suffix: string): void => {
    if (subset.length === 0 || !availableMetrics(subset).includes(metric)) return;
    const varying = varyingDimensions(subset);
    const usePivot = pivot && varying.includes(pivot) ? pivot : undefined;
    const table = metricTable(subset, { metric, ...(usePivot ? { pivot: usePivot } : {}) });
    tables.push({ ...table, title: `${table.title}${suffix}` });
  };
  add(codecRows, 'ratio', 'scenario', ': codec cells');
  add(codecRows, 'throughput', 'scenario', ': codec cells');
  add(codecRows, 'throughput-vs-xor', 'scenario', ': codec cells');
  add(migrationRows, 'downtime', 'codec', ': migrations');
  add(migrationRows, 'total-time', 'codec', ': migrations');
  add(migrationRows, 'wire-bytes', 'codec', ': migrations');
  add(migrationRows, 'miss-rate', 'cacheBytes', ': migrations');
  add(migrationRows, 'rounds', 'codec', ': migrations');
  add(migrationRows, 'converged', 'codec', ': migrations');
  add(cacheRows, 'hit-ratio', 'cacheBytes', ': cache cells');
  add(cacheRows, 'miss-rate', 'cacheBytes', ': cache cells');
  return tables;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Markdown passes raw HTML through to the page it is rendered in, so text from an experiment
 * file (a name with `<script>` in it) is entity-escaped; line breaks would end a table row or list item.
 */
function escapeMarkdown(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/[\r\n]+/g, ' ');
}

function escapeMarkdownTable(table: Table): Table {
  const rows = table.rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === 'string' ? escapeMarkdown(value) : value])));
  return {
    ...table,
    title: table.title === undefined ? undefined : escapeMarkdown(table.title),
    notes: table.notes?.map(escapeMarkdown),
    rows,
  } as Table;
}

function formatCell(value: unknown, digits: number | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) && digits !== undefined ? value.toFixed(digits) : String(value);
  return String(value);
}

function tableHtml(table: Table, id: string): string {
  const head = table.columns.map((column) => `<th${column.digits !== undefined ? ' class="num"' : ''}>${escapeHtml(column.title ?? column.key)}</th>`).join('');
  const body = table.rows
    .map(
      (row) =>
        `<tr>${table.columns.map((column) => `<td${column.digits !== undefined ? ' class="num"' : ''}>${escapeHtml(formatCell(row[column.key], column.digits))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const notes = (table.notes ?? []).map((note) => `<p class="note">${escapeHtml(note)}</p>`).join('');
  return `<section class="table" id="${id}"><h3>${escapeHtml(table.title ?? '')}</h3>\n<table><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>${notes}</section>`;
}

const STYLE = `
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin: 1.4em 0 0.5em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.3em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafafa; }
p.note, p.caption { font-size: 0.8em; color: #555; margin: 0.3em 0; }
figure { margin: 1em 0 2em; }
figure svg { max-width: 100%; height: auto; }
ul.summary { font-size: 0.9em; }
`;

/** Builds the report from rows (renders every plot the rows can feed). */
export async function buildReport(rows: ResultRow[], options: ReportOptions = {}): Promise<Report> {
  if (rows.length === 0) throw new Error('no result rows to report');
  const experiments = [...new Set(rows.map((row) => row.experiment))];
  const title = options.title ?? `pagedelta report: ${experiments.join(', ')}`;
  const assetsDir = options.assetsDir ?? 'report-files';
  const tables = tablesFor(rows);
  const figures: Figure[] = availablePlots(rows).map((kind) => buildFigure(kind, rows));
  const svgs = await Promise.all(figures.map((figure) => renderSvg(figure)));

  const kinds = ['migration', 'codec', 'cache'].map((kind) => [kind, rows.filter((row) => row.kind === kind).length] as const).filter(([, count]) => count > 0);
  const summary = [
    `${rows.length} result rows (${kinds.map(([kind, count]) => `${count} ${kind}`).join(', ')}) from experiment ${experiments.join(', ')}.`,
    ...varyingDimensions(rows)
      .filter((dimension) => dimension !== 'kind')
      .map((dimension) => {
        const raw = [...new Set(rows.map((row) => row[dimension]).filter((value) => value !== null && value !== undefined))];
        raw.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
        const values = raw.map((value) => formatDimension(dimension, value)).filter((value) => value !== '-');
        return `${dimension}: ${values.join(', ')}`;
      }),
    ...(options.notes ?? []),
  ];

  const htmlParts = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<ul class="summary">${summary.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`,
  ];
  if (figures.length > 0) {
    htmlParts.push('<h2>Plots</h2>');
    figures.forEach((figure, i) => {
      htmlParts.push(
        `<figure class="plot" id="plot-${figure.name}">${svgs[i]!}<figcaption><p class="caption">${escapeHtml(`${PLOT_DESCRIPTIONS[figure.name as keyof typeof PLOT_DESCRIPTIONS] ?? figure.title}. ${figure.caption ?? ''}`)}</p></figcaption></figure>`,
      );
    });
  }
  htmlParts.push('<h2>Tables</h2>');
  tables.forEach((table, i) => htmlParts.push(tableHtml(table, `table-${i + 1}`)));
  htmlParts.push('</body></html>');

  const assets: Record<string, string> = {};
  const md = [`# ${escapeMarkdown(title)}`, '', ...summary.map((line) => `- ${escapeMarkdown(line)}`), ''];
  if (figures.length > 0) {
    md.push('## Plots', '');
    figures.forEach((figure, i) => {
      const file = `${assetsDir}/${figure.name}.svg`;
      assets[file] = svgs[i]!;
      md.push(`![${escapeMarkdown(figure.title).replace(/[[\]]/g, '\\$&')}](${file})`, '', escapeMarkdown(figure.caption ?? ''), '');
    });
  }
  md.push('## Tables', '');
  for (const table of tables) {
    const safe = escapeMarkdownTable(table);
    md.push(renderMarkdown({ ...safe, title: undefined }).replace(/^/, `### ${safe.title ?? ''}\n\n`));
  }

  return { html: `${htmlParts.join('\n')}\n`, markdown: `${md.join('\n')}\n`, assets, tables, figures };
}
