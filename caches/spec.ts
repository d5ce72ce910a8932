/**
 * Policy specs: `name` or `name:key=value,key=value` (e.g. `set-assoc:ways=2`,
 * `lirs:hir=1%,nonres=2c`). Each policy declares its parameters with a default and the values
 * it accepts; anything else is an error that lists what is valid.
 */
import type { Definition } from '../registry/definition.js';
import { parseNamedSpec, splitSpecList } from '../registry/spec.js';
import type { BaseCache, ResolvedCacheOptions } from './base.js';

export interface ParamDefinition {
  /** The value used when the spec omits the parameter. */
  default: string;
  /** Accepted values, for error messages and `caches list`. */
  values: string;
  description: string;
}

export interface PolicyDefinition extends Definition<ParamDefinition> {
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
  const { name, items, duplicate } = parseNamedSpec(spec);
  const bare = items.find((item) => item.key === null || item.key.length === 0);
  if (bare) throw new Error(`cache spec "${spec}": parameter "${bare.text}" is not key=value`);
  if (duplicate !== null) throw new Error(`cache spec "${spec}": parameter "${duplicate}" given twice`);
  const given: Record<string, string> = {};
  for (const item of items) given[item.key!] = item.value;
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

/** Splits comma-separated policy lists where specs themselves contain commas (the shared grammar). */
export const splitSpecs = splitSpecList;
