/**
 * Policy specs: `name` or `name:key=value,key=value` (e.g. `set-assoc:ways=2`,
 * `lirs:hir=1%,nonres=2c`). Each policy declares its parameters with a default and the values
 * it accepts; anything else is an error that lists what is valid.
 */
import type { BaseCache, ResolvedCacheOptions } from './base.js';

export interface ParamDefinition {
  /** The value used when the spec omits the parameter. */
  default: string;
  /** Accepted values, for error messages and `caches list`. */
  values: string;
  description: string;
}

export interface PolicyDefinition {
  name: string;
  /** One line: what it is and which variant. */
  description: string;
  params: Readonly<Record<string, ParamDefinition>>;
  /** `params` holds every declared parameter (defaults filled in), as strings. */
  create(spec: string, options: ResolvedCacheOptions, params: Readonly<Record<string, string>>, extra: CreateExtras): BaseCache;
}

/** Inputs only some policies use (OPT needs the future). */
export interface CreateExtras {
  trace?: ArrayLike<number>;
}

export interface ParsedSpec {
  name: string;
  /** Only the parameters the spec named. */
  given: Record<string, string>;
}

export function parseSpec(spec: string): ParsedSpec {
  const text = spec.trim();
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const given: Record<string, string> = {};
  if (colon >= 0) {
    for (const part of text.slice(colon + 1).split(',')) {
      const item = part.trim();
      if (item.length === 0) continue;
      const equals = item.indexOf('=');
      if (equals <= 0) throw new Error(`cache spec "${spec}": parameter "${item}" is not key=value`);
      const key = item.slice(0, equals).trim();
      if (Object.hasOwn(given, key)) throw new Error(`cache spec "${spec}": parameter "${key}" given twice`);
      given[key] = item.slice(equals + 1).trim();
    }
  }
  return { name, given };
}

/** A parameter error that lists what the parameter accepts. */
export function badParam(policy: string, key: string, value: string, definition: ParamDefinition): Error {
  return new Error(`${policy}: bad value "${value}" for "${key}"; valid: ${definition.values}`);
}

/**
 * A count of pages given as a percentage of c (`25%`, rounded down: floor(c * p / 100) computed
 * on integers where p is an integer) or as an absolute count (`3`).
 */
export function parsePagesOrPercent(value: string, capacity: number): number | null {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  if (percent) {
    const p = Number(percent[1]);
    if (!(p >= 0 && p <= 100)) return null;
    // Integer arithmetic where possible: floor(c * 25 / 100), never (int)(c * 0.25).
    return Number.isInteger(p) ? Math.floor((capacity * p) / 100) : Math.floor((capacity * Math.round(p * 1e6)) / 1e8);
  }
  if (/^\d+$/.test(value)) return Number(value);
  return null;
}

/** A bound given as a multiple of c (`2c`, `0.5c`), an absolute count (`100`) or `none`. */
export function parseBound(value: string, capacity: number): number | null {
  if (value === 'none') return Number.POSITIVE_INFINITY;
  const multiple = /^(\d+(?:\.\d+)?)c$/.exec(value);
  if (multiple) return Math.floor(Number(multiple[1]) * capacity);
  if (/^\d+$/.test(value)) return Number(value);
  return null;
}

export function describeParams(definition: PolicyDefinition): string {
  const entries = Object.entries(definition.params);
  if (entries.length === 0) return '(none)';
  return entries.map(([key, param]) => `${key}=${param.default} (${param.values})`).join(', ');
}

/**
 * Splits comma-separated policy lists where specs themselves contain commas:
 * `lru,lirs:hir=1%,nonres=2c,arc` -> `lru`, `lirs:hir=1%,nonres=2c`, `arc` (an item with `=` and
 * no `:` continues the previous spec's parameters).
 */
export function splitSpecs(values: string | readonly string[] | undefined): string[] {
  if (values === undefined) return [];
  const specs: string[] = [];
  for (const value of typeof values === 'string' ? [values] : values) {
    for (const raw of String(value).split(',')) {
      const item = raw.trim();
      if (item.length === 0) continue;
      if (item.includes('=') && !item.includes(':') && specs.length > 0 && specs[specs.length - 1]!.includes(':')) {
        specs[specs.length - 1] += `,${item}`;
      } else {
        specs.push(item);
      }
    }
  }
  return specs;
}
