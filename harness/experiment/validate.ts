/** Validators of experiment entries: each returns the value or throws one line saying what was expected. */
import { codecNames } from '../../codecs/registry.js';
import { parseDuration, parseRate, parseSize } from '../../units/quantities.js';
import { getScenario } from '../../workloads/scenarios.js';

/** Bytes of a size entry (units/quantities.ts rules): a positive whole number. */
export function sizeEntry(value: unknown): number {
  const bytes = parseSize(value);
  if (!Number.isInteger(bytes) || bytes <= 0) throw new Error(`size ${JSON.stringify(value)} is not a positive whole number of bytes`);
  return bytes;
}

/** Bytes per second of a bandwidth entry: positive. */
export function bandwidthEntry(value: unknown): number {
  const rate = parseRate(value, 'bandwidth');
  if (!(rate > 0)) throw new Error(`bandwidth ${JSON.stringify(value)} is not positive`);
  return rate;
}

/** Milliseconds of a duration entry (a bare number is ms): positive. */
export function durationEntry(value: unknown): number {
  const ms = parseDuration(value);
  if (!(ms > 0)) throw new Error(`duration ${JSON.stringify(value)} is not positive`);
  return ms;
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

export function oneOf<T extends string>(value: unknown, valid: readonly T[]): T {
  if (typeof value !== 'string' || !(valid as readonly string[]).includes(value)) {
    throw new Error(`expected one of ${valid.join(', ')}, got ${typeName(value)}`);
  }
  return value as T;
}

export function positiveInteger(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new Error(`expected a positive integer, got ${typeName(value)}`);
  return value;
}

export function parseSeed(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`expected a non-negative integer seed, got ${typeName(value)}`);
  }
  return value;
}

export function parseCodecName(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a codec name, got ${typeName(value)}`);
  if (value === 'none') return value;
  if (!codecNames().includes(value)) throw new Error(`unknown codec "${value}"; valid: none, ${codecNames().join(', ')}`);
  return value;
}

export function parseCacheSpec(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`expected a cache policy spec such as "lru" or "set-assoc:ways=2", got ${typeName(value)}`);
  return value.trim();
}

export function parseScenarioName(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a scenario name or STEP/LEN, got ${typeName(value)}`);
  return getScenario(value).name;
}

export function parseTracePath(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`expected a path to an access trace, got ${typeName(value)}`);
  return value.trim();
}

/**
 * A workload: a spec string (`zipf:skew=0.9,rate=20000`) or an object
 * `{ type: zipf, skew: 0.9, rate: 20000 }`, normalised to the spec string.
 */
export function parseWorkload(value: unknown): string {
  if (typeof value === 'string') {
    if (value.trim() === '') throw new Error('expected a workload spec such as "zipf:skew=0.9,rate=20000", got an empty string');
    return value.trim();
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { type, ...params } = value as Record<string, unknown>;
    if (typeof type !== 'string' || type === '') throw new Error('a workload object needs a "type" (e.g. type: zipf)');
    const parts: string[] = [];
    for (const [name, parameter] of Object.entries(params)) {
      if (!['string', 'number', 'boolean'].includes(typeof parameter)) {
        throw new Error(`workload parameter "${name}" must be a string, number or boolean, got ${typeName(parameter)}`);
      }
      parts.push(`${name}=${String(parameter)}`);
    }
    return parts.length > 0 ? `${type}:${parts.join(',')}` : type;
  }
  throw new Error(`expected a workload spec string or an object with a type, got ${typeName(value)}`);
}
