/** Small helpers shared by CLI commands. */
import { writeFileSync } from 'node:fs';

/** A usage error: printed as one line, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Writes `text` to stdout, or to `path` when given. */
export function emit(text: string, path?: string): void {
  if (path) writeFileSync(path, text);
  else process.stdout.write(text);
}

/** Splits a comma-separated flag value into trimmed, non-empty items. */
export function splitList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((item) => String(item).split(',')).map((item) => item.trim()).filter((item) => item.length > 0);
}
