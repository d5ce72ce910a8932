/**
 * Workload spec strings: `name[:key=value,key=value...]`, several joined by `+` to compose
 * them. A ParamReader takes the values one by one with validation, so every generator
 * reports bad values the same way (one line naming the workload, the key and the rule), and
 * `done()` rejects keys nobody asked for, listing the valid ones.
 */
import { parseNamedSpec } from '../registry/spec.js';
import { parseCount } from '../units/quantities.js';

export class WorkloadSpecError extends Error {
  override name = 'WorkloadSpecError';
}

export interface ParsedSpec {
  name: string;
  /** Raw text after `name:` (for specs such as `trace:FILE` whose first item is not key=value). */
  rest: string;
  params: Map<string, string>;
  /** Items without `=` (e.g. the trace file name). */
  bare: string[];
}

/**
 * Splits a composition `a:... + b:...` into its parts. The `+` of an exponent (`rate=1e+30`,
 * as JavaScript and YAML print large numbers) is part of its number, not a separator. An empty
 * part (`a +`, `a + + b`) is an error.
 */
export function splitComposition(spec: string): string[] {
  const parts = spec.split(/(?<![0-9.][eE])\+|(?<=[0-9.][eE])\+(?![0-9])/).map((part) => part.trim());
  if (parts.length === 1 && parts[0] === '') return [];
  const empty = parts.indexOf('');
  if (empty >= 0) throw new WorkloadSpecError(`workload spec "${spec.trim()}": part ${empty + 1} of the composition is empty (a "+" with no workload ${empty === 0 ? 'before' : 'after'} it)`);
  return parts;
}

export function parseSpec(spec: string): ParsedSpec {
  const parsed = parseNamedSpec(spec);
  const name = parsed.name.toLowerCase();
  if (parsed.duplicate !== null) throw new WorkloadSpecError(`workload "${name}": parameter "${parsed.duplicate}" given twice`);
  const params = new Map<string, string>();
  const bare: string[] = [];
  for (const item of parsed.items) {
    if (item.key === null) bare.push(item.value);
    else params.set(item.key, item.value);
  }
  return { name, rest: parsed.rest, params, bare };
}

/** Resolves `N`, `N%` (of `whole`) or `Nk`/`NM`/`NG` (SI: x10^3, x10^6, x10^9) to a number. */
function parseQuantity(text: string, whole: number | undefined): number {
  const percent = /^([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)%$/i.exec(text);
  if (percent && whole !== undefined) return (Number(percent[1]) / 100) * whole;
  return parseCount(text);
}

/**
 * Upper bound of every generator's `rate` (page writes per simulated second): 10^8 is 400 GB/s of
 * 4 KiB pages, beyond any memory bus; a larger rate is a typo, and would run for hours.
 */
export const MAX_WRITE_RATE = 1e8;

export class ParamReader {
  private readonly used = new Set<string>();
  /** Resolved parameters in the order read, for `spec` and `describe()`. */
  readonly resolved: Record<string, string | number | boolean> = {};

  constructor(
    readonly workload: string,
    private readonly params: Map<string, string>,
  ) {}

  has(key: string): boolean {
    return this.params.has(key);
  }

  private raw(key: string): string | undefined {
    this.used.add(key);
    return this.params.get(key);
  }

  fail(message: string): never {
    throw new WorkloadSpecError(`workload "${this.workload}": ${message}`);
  }

  /** A number (`1000`, `20k`, `1.5m`, or `N%` of `whole` when given) within [min, max]. */
  number(key: string, fallback: number, rule: { min?: number; max?: number; minExclusive?: boolean; integer?: boolean; whole?: number } = {}): number {
    const text = this.raw(key);
    const value = text === undefined ? fallback : parseQuantity(text, rule.whole);
    if (!Number.isFinite(value)) this.fail(`${key}=${text} is not a number`);
    const rounded = rule.integer ? Math.round(value) : value;
    if (rule.integer && text !== undefined && Math.abs(rounded - value) > 1e-9 && !text.endsWith('%')) this.fail(`${key}=${text} must be an integer`);
    if (rule.min !== undefined) {
      if (rule.minExclusive ? rounded <= rule.min : rounded < rule.min) {
        this.fail(`${key}=${text ?? fallback} must be ${rule.minExclusive ? '>' : '>='} ${rule.min}`);
      }
    }
    if (rule.max !== undefined && rounded > rule.max) this.fail(`${key}=${text ?? fallback} must be <= ${rule.max}`);
    this.resolved[key] = rounded;
    return rounded;
  }

  /** The generator's write rate in page writes per second, 0 .. MAX_WRITE_RATE. */
  rate(fallback: number): number {
    return this.number('rate', fallback, { min: 0, max: MAX_WRITE_RATE });
  }

  /** One of `choices` (case-insensitive). */
  choice<T extends string>(key: string, fallback: T, choices: readonly T[]): T {
    const text = this.raw(key);
    const value = (text ?? fallback).toLowerCase() as T;
    if (!choices.includes(value)) this.fail(`${key}=${text} is not one of ${choices.join(', ')}`);
    this.resolved[key] = value;
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const text = this.raw(key);
    if (text === undefined) {
      this.resolved[key] = fallback;
      return fallback;
    }
    const lowered = text.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lowered)) return (this.resolved[key] = true);
    if (['0', 'false', 'no', 'off'].includes(lowered)) return (this.resolved[key] = false);
    return this.fail(`${key}=${text} is not a boolean (true or false)`);
  }

  string(key: string, fallback: string): string {
    const text = this.raw(key) ?? fallback;
    this.resolved[key] = text;
    return text;
  }

  /** Rejects keys that were not read. */
  done(validKeys: readonly string[]): void {
    for (const key of this.params.keys()) {
      if (!this.used.has(key)) this.fail(`unknown parameter "${key}"; valid: ${validKeys.join(', ')}`);
    }
  }

  /** The normalised spec: name and every resolved parameter. */
  spec(): string {
    const items = Object.entries(this.resolved).map(([key, value]) => `${key}=${value}`);
    return items.length > 0 ? `${this.workload}:${items.join(',')}` : this.workload;
  }
}
