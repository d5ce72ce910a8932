/**
 * Parsing of the quantities the migrate command takes: sizes (`1G`, `64MiB`, `4096`), rates
 * (`1Gbit`, `10Gbps`, `125MB/s`, `128MiB/s`) and durations (`300ms`, `0.3s`, `2min`).
 *
 * Conventions (stated in --help and docs/migration.md):
 * - sizes: a bare prefix or an `i`/`iB` prefix is binary, as QEMU reads it (`1G` = `1GiB` =
 *   2^30 bytes); a prefix followed by `B` alone is decimal (`1GB` = 10^9 bytes).
 * - rates: `bit`/`bps` units are bits per second with decimal prefixes, as links are rated
 *   (`1Gbit` = 10^9 bit/s = 1.25e8 B/s); `B/s` units follow the size rules; a bare number is
 *   bytes per second.
 * - durations: `us`, `ms`, `s`, `min`; a bare number is milliseconds.
 */

const BINARY: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
const DECIMAL: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

const NUMBER = '([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?';

function parseNumber(text: string): number {
  return Number(text);
}

/** Bytes, from `4096`, `64K`, `64KiB`, `1G`, `1GB` (decimal), `1.5GiB`. */
export function parseSize(text: string, what = 'size'): number {
  const match = new RegExp(`^\\s*(${NUMBER})\\s*([kKmMgGtT]?)(i?)(B?)\\s*$`).exec(String(text));
  if (!match) throw new Error(`bad ${what} "${text}": expected a number with an optional unit, e.g. 4096, 64M, 1GiB, 1GB`);
  const value = parseNumber(match[1]!);
  const prefix = match[3]!.toLowerCase();
  const binary = match[4] === 'i' || match[5] === '' || prefix === '';
  const bytes = value * (binary ? BINARY[prefix]! : DECIMAL[prefix]!);
  if (!Number.isFinite(bytes)) throw new Error(`bad ${what} "${text}": not a finite number`);
  return bytes;
}

/** Bytes per second, from `1Gbit`, `1Gbit/s`, `10Gbps`, `125MB/s`, `128MiB/s`, `125000000`. */
export function parseRate(text: string, what = 'rate'): number {
  const source = String(text).trim();
  const bits = new RegExp(`^(${NUMBER})\\s*([kKmMgGtT]?)(bit(?:/s)?|bps|b/s)$`).exec(source);
  if (bits) {
    const value = parseNumber(bits[1]!) * DECIMAL[bits[3]!.toLowerCase()]!;
    if (!Number.isFinite(value)) throw new Error(`bad ${what} "${text}": not a finite number`);
    return value / 8;
  }
  const bytes = new RegExp(`^(${NUMBER})\\s*(?:([kKmMgGtT]?)(i?)B)?(?:/s|ps)?$`).exec(source);
  if (bytes) {
    const prefix = (bytes[3] ?? '').toLowerCase();
    const binary = bytes[4] === 'i';
    const value = parseNumber(bytes[1]!) * (binary ? BINARY[prefix]! : DECIMAL[prefix]!);
    if (!Number.isFinite(value)) throw new Error(`bad ${what} "${text}": not a finite number`);
    return value;
  }
  throw new Error(`bad ${what} "${text}": expected e.g. 1Gbit, 10Gbps, 125MB/s, 128MiB/s or bytes per second`);
}

const DURATION_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, sec: 1000, min: 60_000, m: 60_000 };

/** Milliseconds, from `300ms`, `0.3s`, `2min`, `500us`, `300` (ms). */
export function parseDuration(text: string, what = 'duration'): number {
  const match = new RegExp(`^\\s*(${NUMBER})\\s*(us|ms|sec|s|min|m)?\\s*$`).exec(String(text));
  if (!match) throw new Error(`bad ${what} "${text}": expected e.g. 300ms, 0.3s, 2min`);
  const value = parseNumber(match[1]!) * DURATION_MS[match[3] ?? 'ms']!;
  if (!Number.isFinite(value)) throw new Error(`bad ${what} "${text}": not a finite number`);
  return value;
}

/** `1073741824` -> `1 GiB`, for notes and tables. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1 && Number.isInteger(value / 1024)) {
    value /= 1024;
    unit++;
  }
  return `${value} ${units[unit]}`;
}
