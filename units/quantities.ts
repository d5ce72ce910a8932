/**
 * Quantities with units, one meaning everywhere (flags, experiment files, the library); the
 * rules are in docs/units.md:
 * - sizes: IEC prefixes are binary (`64KiB`, `64Ki`); an SI prefix with its unit is decimal
 *   (`1GB` = 10^9, `1kB`); a bare prefix is binary (`1G` = 2^30), as QEMU reads `-m 1G` and its
 *   size parameters, so that a guest size is a whole number of pages; a bare number is bytes.
 * - rates: `bit` units (`bit`, `b`, `bps`, `/s` optional) are bits per second, `B` units are
 *   bytes per second; SI prefixes decimal (`1Gbit` = 10^9 bit/s), IEC binary (`128MiB/s`);
 *   a bare number is bytes per second.
 * - durations: `us`, `ms`, `s`/`sec`, `m`/`min`, `h`; a bare number is milliseconds.
 * - counts: `k`, `M`, `G` are 10^3, 10^6, 10^9 (`20k` writes/s).
 * Parsers return a finite, non-negative number or throw one line `bad WHAT "TEXT": ...`;
 * callers add their own range rules (positive, whole).
 */

const BINARY: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
const DECIMAL: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

const NUMBER = '((?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?)';

function text(value: unknown, what: string, example: string): string {
  if (typeof value === 'string') return value;
  throw new Error(`bad ${what} ${describe(value)}: expected ${example}`);
}

function finite(result: number, what: string, value: unknown): number {
  if (!Number.isFinite(result)) throw new Error(`bad ${what} "${String(value)}": not a finite number`);
  return result;
}

function plainNumber(value: unknown, what: string, unit: string): number | undefined {
  if (typeof value !== 'number') return undefined;
  if (Number.isFinite(value) && value >= 0) return value;
  throw new Error(`bad ${what} ${value}: expected a non-negative number of ${unit}`);
}

const SIZE_EXAMPLE = 'a size like "64M", "1GiB", "1GB" or a number of bytes';

/** Bytes, from `4096`, `64K`, `64KiB`, `64Ki`, `1G` (2^30), `1GB` (10^9), `1.5GiB`, or a number. */
export function parseSize(value: unknown, what = 'size'): number {
  const plain = plainNumber(value, what, 'bytes');
  if (plain !== undefined) return plain;
  const source = text(value, what, SIZE_EXAMPLE);
  const match = new RegExp(`^\\s*${NUMBER}\\s*(?:([kKmMgGtT])(i?)([bB]?)|([bB]?))\\s*$`).exec(source);
  if (!match) throw new Error(`bad ${what} "${source}": expected ${SIZE_EXAMPLE}`);
  const prefix = (match[2] ?? '').toLowerCase();
  const decimal = prefix !== '' && match[3] === '' && match[4] !== '';
  return finite(Number(match[1]) * (decimal ? DECIMAL[prefix]! : BINARY[prefix]!), what, value);
}

const RATE_EXAMPLE = 'a rate like "1Gbit", "10Gbit/s", "1Gbps", "125MB/s", "128MiB/s" or a number of bytes/s';

/** Bytes per second, from `1Gbit`, `10Gbit/s`, `1Gbps`, `100Mb` (bits), `125MB/s`, `128MiB/s`, a number. */
export function parseRate(value: unknown, what = 'rate'): number {
  const plain = plainNumber(value, what, 'bytes per second');
  if (plain !== undefined) return plain;
  const source = text(value, what, RATE_EXAMPLE);
  const match = new RegExp(`^\\s*${NUMBER}\\s*([kKmMgGtT]?)(i?)(bits?|Bits?|BITS?|bps|b|Bps|B)?(/s)?\\s*$`).exec(source);
  const unit = match?.[4] ?? '';
  const prefix = (match?.[2] ?? '').toLowerCase();
  // A prefix needs a unit (`125M` is ambiguous); lower-case `b` is bits, `B` bytes.
  if (!match || (prefix !== '' && unit === '')) throw new Error(`bad ${what} "${source}": expected ${RATE_EXAMPLE}`);
  const binary = match[3] === 'i';
  const bits = !(binary && unit.toLowerCase() === 'b') && (unit === 'b' || unit === 'bps' || /^bits?$/i.test(unit));
  const scale = (binary ? BINARY : DECIMAL)[prefix]!;
  return finite((Number(match[1]) * scale) / (bits ? 8 : 1), what, value);
}

const DURATION_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
const DURATION_EXAMPLE = 'a duration like "300ms", "1.5s", "2min" or a number of milliseconds';

/** Milliseconds, from `300ms`, `1.5s`, `2min`, `500us`, `1h`, or a bare number of ms. */
export function parseDuration(value: unknown, what = 'duration'): number {
  const plain = plainNumber(value, what, 'milliseconds');
  if (plain !== undefined) return plain;
  const source = text(value, what, DURATION_EXAMPLE);
  const match = new RegExp(`^\\s*${NUMBER}\\s*(us|ms|sec|s|min|m|h)?\\s*$`, 'i').exec(source);
  if (!match) throw new Error(`bad ${what} "${source}": expected ${DURATION_EXAMPLE}`);
  return finite(Number(match[1]) * DURATION_MS[(match[2] ?? 'ms').toLowerCase()]!, what, value);
}

/** A count with SI multipliers: `1000`, `20k`, `1.5M` (10^6), `2G` (10^9); NaN when malformed. */
export function parseCount(source: string): number {
  const match = /^(-?[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)([kmg]?)$/i.exec(source.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) * DECIMAL[match[2]!.toLowerCase()]!;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** `67108864` -> `64 MiB`, `1610612736` -> `1.50 GiB` (IEC, for notes and tables). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = Number.isInteger(value) ? String(value) : value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2);
  return `${digits} ${units[unit]}`;
}

/** `125000000` bytes/s -> `1 Gbit/s` (links are rated in SI bits). */
export function formatBandwidth(bytesPerSecond: number): string {
  const bits = bytesPerSecond * 8;
  const units: [number, string][] = [
    [1e12, 'Tbit/s'],
    [1e9, 'Gbit/s'],
    [1e6, 'Mbit/s'],
    [1e3, 'kbit/s'],
  ];
  for (const [scale, name] of units) {
    if (bits >= scale) {
      const value = bits / scale;
      return `${Number.isInteger(value) ? value : Number(value.toPrecision(4))} ${name}`;
    }
  }
  return `${bits} bit/s`;
}

/** 1500 -> `1.5 s`, 300 -> `300 ms`. */
export function formatDuration(ms: number): string {
  if (ms >= 1000) return `${Number((ms / 1000).toPrecision(4))} s`;
  return `${Number(ms.toPrecision(4))} ms`;
}
