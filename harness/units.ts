/**
 * Quantities with units, as experiment files and flags write them: sizes ("64M", "1GiB"),
 * bandwidths ("1Gbit", "125MB/s") and durations ("300ms", "1s"). Binary prefixes for sizes
 * (memory is counted in pages), decimal prefixes for link rates (as network gear is sold).
 */

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 2 ** 10,
  kb: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mb: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gb: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tb: 2 ** 40,
  tib: 2 ** 40,
};

/** Bytes from `64M`, `1GiB`, `4096` (binary prefixes: K = 1024). Throws on anything else. */
export function parseSize(value: unknown): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return value;
    throw new Error(`expected a positive whole number of bytes, got ${value}`);
  }
  if (typeof value !== 'string') throw new Error(`expected a size like "64M" or a number of bytes, got ${describe(value)}`);
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new Error(`expected a size like "64M", "1GiB" or a number of bytes, got "${value}"`);
  const bytes = Number(match[1]) * unit;
  if (!Number.isInteger(bytes) || bytes <= 0) throw new Error(`size "${value}" is not a positive whole number of bytes`);
  return bytes;
}

const BIT_RATE_UNITS: Record<string, number> = {
  bit: 1 / 8,
  kbit: 1e3 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
  tbit: 1e12 / 8,
  bps: 1 / 8,
  kbps: 1e3 / 8,
  mbps: 1e6 / 8,
  gbps: 1e9 / 8,
};
const BYTE_RATE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
};

/**
 * Bytes per second from `1Gbit`, `10Gbit/s`, `1Gbps` (bits, decimal), `125MB/s` (bytes,
 * decimal), `128MiB/s` (bytes, binary) or a plain number of bytes per second.
 */
export function parseBandwidth(value: unknown): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > 0) return value;
    throw new Error(`expected a positive number of bytes per second, got ${value}`);
  }
  if (typeof value !== 'string') throw new Error(`expected a bandwidth like "1Gbit" or a number of bytes/s, got ${describe(value)}`);
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)(\/s)?\s*$/i.exec(value);
  if (match) {
    const unitText = match[2]!;
    const lower = unitText.toLowerCase();
    // "Mb"/"Gb" (lower-case b) are bits on the wire, as are "Mbit" and "Mbps"; "MB" is bytes.
    const bitsShort = /^[kmgt]b$/i.test(unitText) && unitText[1] === 'b';
    const perUnit = bitsShort ? BIT_RATE_UNITS[`${lower[0]}bit`] : (BIT_RATE_UNITS[lower] ?? BYTE_RATE_UNITS[lower]);
    if (perUnit !== undefined) {
      const bytesPerSecond = Number(match[1]) * perUnit;
      if (bytesPerSecond > 0) return bytesPerSecond;
    }
  }
  throw new Error(`expected a bandwidth like "1Gbit", "10Gbit/s", "125MB/s", "128MiB/s" or a number of bytes/s, got "${value}"`);
}

const DURATION_UNITS: Record<string, number> = { '': 1, ms: 1, s: 1000, us: 1e-3, m: 60_000, min: 60_000 };

/** Milliseconds from `300ms`, `1s`, `1.5s`, or a plain number of ms. */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > 0) return value;
    throw new Error(`expected a positive number of milliseconds, got ${value}`);
  }
  if (typeof value !== 'string') throw new Error(`expected a duration like "300ms" or a number of ms, got ${describe(value)}`);
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = match ? DURATION_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined || !(Number(match[1]) > 0)) {
    throw new Error(`expected a duration like "300ms", "1s" or a number of ms, got "${value}"`);
  }
  return Number(match[1]) * unit;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** `67108864` -> `64 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2);
  return `${text} ${units[unit]}`;
}

/** `125000000` bytes/s -> `1 Gbit/s`. */
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
