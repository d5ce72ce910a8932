/** Small helpers shared by CLI commands. */
import { writeFileAtomic } from '../io/write-file.js';

/** A usage error: printed as one line, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Writes `text` to stdout, or to `path` when given (whole or not at all: see writeFileAtomic). */
export function emit(text: string | Uint8Array, path?: string): void {
  if (path) writeFileAtomic(path, text);
  else process.stdout.write(text);
}

/**
 * Splits a comma-separated flag value into trimmed, non-empty items. With `flag`, a flag that
 * was given but names nothing (`--codec ''`) is an error rather than silently the default.
 */
export function splitList(value: string | string[] | undefined, flag?: string): string[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  const items = values.flatMap((item) => String(item).split(',')).map((item) => item.trim()).filter((item) => item.length > 0);
  if (flag !== undefined && items.length === 0) throw new CliError(`${flag} is empty: name at least one, or omit the flag for the default`);
  return items;
}

export interface FlagRange {
  min: number;
  max: number;
  integer?: boolean;
  /** Shown after the numbers in the message (e.g. `ms`, `pages`). */
  unit?: string;
}

/** Throws one line naming the flag, the value and its valid range. */
export function checkFlag(flag: string, value: number, range: FlagRange): number {
  const unit = range.unit ? ` ${range.unit}` : '';
  if (typeof value !== 'number' || Number.isNaN(value)) throw new CliError(`${flag} must be a number, got ${value}`);
  if (range.integer && !Number.isInteger(value)) throw new CliError(`${flag} must be a whole number, got ${value}`);
  if (value < range.min || value > range.max) throw new CliError(`${flag} ${value}${unit} is outside the valid range ${range.min} .. ${range.max}${unit}`);
  return value;
}
