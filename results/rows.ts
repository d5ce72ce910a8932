/**
 * Result rows and the JSON Lines results file: one row per finished cell, appended as each
 * cell finishes. Reading tolerates damage: a corrupt line is reported with its line number
 * and every good row stays usable.
 */
import { closeSync, existsSync, openSync, readFileSync, ftruncateSync, fstatSync, readSync, writeSync } from 'node:fs';
import { cannotWrite } from '../io/write-file.js';
import { METRICS } from './views.js';

const METRIC_FIELDS = METRICS.flatMap((metric) => metric.fields.map((field) => field.field));

/** One finished cell. Dimension fields (codec, cache, ...) and metric fields are flat. */
export interface ResultRow {
  /** Row format version. */
  schema: 1;
  /** The experiment's name and cell-set hash. */
  experiment: string;
  experimentId: string;
  /** Stable cell key (see harness/experiment/experiment.ts). */
  cell: string;
  /** Position of the cell in the experiment's canonical order. */
  index: number;
  kind: 'migration' | 'codec' | 'cache';
  [field: string]: unknown;
}

export interface CorruptLine {
  line: number;
  message: string;
}

export interface ReadResults {
  rows: ResultRow[];
  corrupt: CorruptLine[];
  /** The file ended in a partial line (an interrupted write). */
  truncatedTail: boolean;
  /** Number of the last line holding text. */
  lastLine: number;
}

/** Validates one parsed line; returns an error message or null. */
function checkRow(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const row = value as Record<string, unknown>;
  if (row.schema !== 1) return `unknown row schema ${JSON.stringify(row.schema)} (expected 1)`;
  if (typeof row.cell !== 'string' || row.cell === '') return 'missing "cell" key';
  if (typeof row.index !== 'number') return 'missing "index"';
  if (row.kind !== 'migration' && row.kind !== 'codec' && row.kind !== 'cache') return `unknown kind ${JSON.stringify(row.kind)}`;
  // Every metric counts or times something: a negative one (or 1e999, which JSON reads as
  // Infinity) is damage, and one such row would drag a median or mean to nonsense.
  for (const field of METRIC_FIELDS) {
    const value = row[field];
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) return `${field} is ${value} (a metric is a finite number >= 0)`;
  }
  return null;
}

/** Parses JSON Lines text into rows, collecting (not throwing on) corrupt lines. */
export function parseResults(text: string): ReadResults {
  const rows: ResultRow[] = [];
  const corrupt: CorruptLine[] = [];
  const lines = text.split('\n');
  const truncatedTail = text.length > 0 && !text.endsWith('\n');
  let lastLine = 0;
  lines.forEach((line, position) => {
    if (line.trim() === '') return;
    lastLine = position + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const partial = truncatedTail && position === lines.length - 1;
      corrupt.push({ line: position + 1, message: partial ? 'incomplete last line (interrupted write)' : `not valid JSON (${(error as Error).message})` });
      return;
    }
    const problem = checkRow(value);
    if (problem) corrupt.push({ line: position + 1, message: problem });
    else rows.push(value as ResultRow);
  });
  return { rows, corrupt, truncatedTail, lastLine };
}

/**
 * True when the start of a file is not text: a NUL byte or bytes that are not UTF-8 (a trace,
 * an image, a compressed file). Only the start is looked at, because a crash can leave NULs in
 * the tail of a genuine results file, and those lines are corrupt lines, not a foreign file.
 */
function looksBinary(bytes: Buffer): boolean {
  const start = bytes.subarray(0, 4096);
  if (start.includes(0)) return true;
  try {
    // stream: a character cut at the 4096th byte is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(start, { stream: true });
    return false;
  } catch {
    return true;
  }
}

/** Reads a results file; a missing file, or one that is not text, is an error naming it. */
export function readResults(path: string): ReadResults {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read results file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  // Otherwise every "line" of a binary file would be reported as a corrupt line.
  if (looksBinary(bytes)) throw new Error(`${path} is not JSON Lines: binary data (not a results file)`);
  return parseResults(bytes.toString('utf8'));
}

/** One line per corrupt line: `FILE:LINE: message`. */
export function describeCorrupt(path: string, corrupt: CorruptLine[]): string[] {
  return corrupt.map((entry) => `${path}:${entry.line}: ${entry.message}`);
}

/** Corrupt lines shown one by one before the rest are only counted. */
export const CORRUPT_LINES_SHOWN = 5;

/**
 * Warnings for corrupt lines, `FILE:LINE: message; CONSEQUENCE` for the first few, then one
 * line counting the rest: a damaged file warns in a screenful, not a line per line.
 */
export function corruptWarnings(path: string, corrupt: CorruptLine[], consequence = 'line skipped'): string[] {
  const warnings = describeCorrupt(path, corrupt.slice(0, CORRUPT_LINES_SHOWN)).map((message) => `${message}; ${consequence}`);
  const rest = corrupt.length - CORRUPT_LINES_SHOWN;
  if (rest > 0) warnings.push(`${path}: ${rest} more corrupt line${rest === 1 ? '' : 's'} (${corrupt.length} in all), not listed; treated the same`);
  return warnings;
}

/**
 * Appends rows to a JSON Lines file, one write per row, so that an interrupted run keeps every
 * row it finished. Opening repairs an interrupted last line (cuts the partial line off).
 */
export class ResultsAppender {
  private readonly fd: number;
  /** Bytes of an incomplete last line removed when the file was opened. */
  readonly repairedBytes: number;

  /** Bytes of whole rows in the file: a failed append is cut back to it. */
  private size: number;

  constructor(readonly path: string) {
    this.repairedBytes = existsSync(path) ? repairTail(path) : 0;
    this.fd = openSync(path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  append(row: ResultRow): void {
    const bytes = Buffer.from(`${JSON.stringify(row)}\n`);
    try {
      // A full disk may take part of a row without an error; the next write reports it.
      for (let offset = 0; offset < bytes.length; ) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      try {
        ftruncateSync(this.fd, this.size); // the rows before stay, without half a row after them
      } catch {
        // resuming cuts the partial line off instead
      }
      throw cannotWrite(this.path, error);
    }
    this.size += bytes.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Cuts a partial last line (no trailing newline) off a file; returns the bytes removed. */
function repairTail(path: string): number {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return 0;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return 0;
    const cut = readFileSync(path).lastIndexOf(0x0a) + 1;
    ftruncateSync(fd, cut);
    return size - cut;
  } finally {
    closeSync(fd);
  }
}

export interface MergeSummary {
  rows: ResultRow[];
  /** Rows dropped because another input already had the same cell. */
  duplicates: number;
  /** Distinct experiment ids seen (more than one usually means shards of different files). */
  experimentIds: string[];
}

/**
 * Joins shards: one row per cell key (the first seen wins), ordered by experiment and cell
 * index, so that merging in any order gives the same file.
 */
export function mergeResults(inputs: ResultRow[][]): MergeSummary {
  const byCell = new Map<string, ResultRow>();
  let duplicates = 0;
  for (const rows of inputs) {
    for (const row of rows) {
      if (byCell.has(row.cell)) duplicates++;
      else byCell.set(row.cell, row);
    }
  }
  const rows = [...byCell.values()].sort(
    (a, b) => String(a.experimentId).localeCompare(String(b.experimentId)) || a.index - b.index || a.cell.localeCompare(b.cell),
  );
  const experimentIds = [...new Set(rows.map((row) => String(row.experimentId)))];
  return { rows, duplicates, experimentIds };
}

export function formatResults(rows: ResultRow[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}
