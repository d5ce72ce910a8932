/**
 * A table of result rows, rendered as Markdown, CSV (csv-stringify) or JSON. Every harness
 * and script returns a Table; the CLI only picks the format.
 */
import { stringify } from 'csv-stringify/sync';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface Column {
  key: string;
  /** Header text (defaults to the key). */
  title?: string;
  /** Digits after the decimal point for numbers (default: as is). */
  digits?: number;
}

export interface Table {
  title?: string;
  columns: Column[];
  rows: Row[];
  /** Lines printed under the table: inputs used, seeds, verdicts. */
  notes?: string[];
  /** Plots of the same figures (vega-lite specs; rendered by results/plots.ts). */
  figures?: TableFigure[];
}

/** A plot attached to a table: a file stem, a title and a vega-lite spec. */
export interface TableFigure {
  name: string;
  title: string;
  spec: object;
  caption?: string;
}

export type TableFormat = 'md' | 'csv' | 'json';
export const TABLE_FORMATS: readonly TableFormat[] = ['md', 'csv', 'json'];

function formatCell(value: Cell | undefined, digits: number | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    return digits === undefined ? String(value) : value.toFixed(digits);
  }
  return String(value);
}

export function renderMarkdown(table: Table): string {
  const lines: string[] = [];
  if (table.title) lines.push(`## ${table.title}`, '');
  const header = table.columns.map((column) => column.title ?? column.key);
  lines.push(`| ${header.join(' | ')} |`);
  lines.push(`|${table.columns.map((column) => (column.digits !== undefined ? ' ---: ' : ' --- ')).join('|')}|`);
  for (const row of table.rows) {
    const cells = table.columns.map((column) => formatCell(row[column.key], column.digits).replace(/\|/g, '\\|'));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  if (table.notes && table.notes.length > 0) {
    lines.push('');
    for (const note of table.notes) lines.push(note);
  }
  return `${lines.join('\n')}\n`;
}

export function renderCsv(table: Table): string {
  const records = table.rows.map((row) => table.columns.map((column) => row[column.key] ?? ''));
  // Field names, not display titles: a CSV is read by programs, and its header matches JSON's keys.
  return stringify(records, { header: true, columns: table.columns.map((column) => column.key) });
}

export function renderJson(table: Table): string {
  return `${JSON.stringify(tableJson(table), null, 2)}\n`;
}

/** The JSON shape of every command: one object per table, `{ title, rows, notes }`, rows keyed by field name. */
export function tableJson(table: Table): { title: string | undefined; rows: Row[]; notes: string[] } {
  return { title: table.title, rows: table.rows, notes: table.notes ?? [] };
}

/** Several tables as one JSON document: a list of tableJson objects (no column metadata, no plot specs). */
export function renderJsonTables(tables: readonly Table[]): string {
  return `${JSON.stringify(tables.map(tableJson), null, 2)}\n`;
}

export function renderTable(table: Table, format: TableFormat): string {
  switch (format) {
    case 'md':
      return renderMarkdown(table);
    case 'csv':
      return renderCsv(table);
    case 'json':
      return renderJson(table);
  }
}
