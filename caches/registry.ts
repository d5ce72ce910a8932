/**
 * Cache policies by name, `createCache` and `simulateCache`. Adding a policy: one file, one
 * line in POLICIES.
 */
import { addDefinition } from '../registry/definition.js';
import { arcPolicy } from './arc.js';
import { type BaseCache, checkKey, type ResolvedCacheOptions } from './base.js';
import type { CacheOptions, PageCache } from './cache.js';
import { clockPolicy } from './clock.js';
import { fifoPolicy } from './fifo.js';
import { lirsPolicy } from './lirs.js';
import { lruPolicy } from './lru.js';
import { optPolicy } from './opt.js';
import { qemuNoAgePolicy, qemuPolicy } from './qemu.js';
import { s3fifoPolicy } from './s3fifo.js';
import { setAssocPolicy } from './set-assoc.js';
import { sievePolicy } from './sieve.js';
import { describeParams, parseSpec, type PolicyDefinition } from './spec.js';
import { twoQPolicy } from './two-q.js';

const POLICIES: PolicyDefinition[] = [
  setAssocPolicy,
  lruPolicy,
  fifoPolicy,
  clockPolicy,
  twoQPolicy,
  lirsPolicy,
  arcPolicy,
  s3fifoPolicy,
  sievePolicy,
  qemuPolicy,
  qemuNoAgePolicy,
  optPolicy,
];

/**
 * Adds a policy at run time (a plug-in, a test). It is known in this thread only: experiment
 * workers load the registry afresh, so run such experiments with `workers: 0`.
 */
export function registerCachePolicy(definition: PolicyDefinition): void {
  addDefinition(POLICIES, definition, 'cache policy');
}

/** The registered policy names, in table order. */
export function cacheNames(): string[] {
  return POLICIES.map((policy) => policy.name);
}

export interface CachePolicyInfo {
  name: string;
  description: string;
  /** `key=default (accepted values)`, comma-separated; `(none)` when it has none. */
  params: string;
}

/** Each policy with its description and parameters (defaults and accepted values). */
export function cachePolicies(): CachePolicyInfo[] {
  return POLICIES.map((policy) => ({ name: policy.name, description: policy.description, params: describeParams(policy) }));
}

export interface CreateCacheOptions extends CacheOptions {
  /** The exact access sequence to come; only `opt` needs it (and then requires it). */
  trace?: ArrayLike<number>;
}

function findPolicy(name: string): PolicyDefinition {
  const policy = POLICIES.find((candidate) => candidate.name === name);
  if (!policy) throw new Error(`unknown cache policy "${name}"; valid: ${cacheNames().join(', ')}`);
  return policy;
}

function build(spec: string, options: CreateCacheOptions): BaseCache {
  const { name, given } = parseSpec(spec);
  const policy = findPolicy(name);
  const params: Record<string, string> = {};
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(policy.params, key)) {
      const valid = Object.keys(policy.params);
      throw new Error(`${name}: unknown parameter "${key}"; valid: ${valid.length > 0 ? describeParams(policy) : `${name} takes no parameters`}`);
    }
  }
  for (const [key, definition] of Object.entries(policy.params)) params[key] = given[key] ?? definition.default;
  const capacityPages = options.capacityPages;
  if (!(Number.isInteger(capacityPages) && capacityPages >= 1 && capacityPages < 2 ** 31)) {
    throw new RangeError(`${name}: capacityPages must be an integer from 1 to ${2 ** 31 - 1}, got ${capacityPages}`);
  }
  const pageSize = options.pageSize ?? 4096;
  if (!(Number.isInteger(pageSize) && pageSize >= 1)) throw new RangeError(`${name}: pageSize must be a positive integer, got ${pageSize}`);
  const resolved: ResolvedCacheOptions = { capacityPages, pageSize, storeData: options.storeData ?? true };
  const normalised = Object.keys(params).length === 0 ? name : `${name}:${Object.entries(params).map(([key, value]) => `${key}=${value}`).join(',')}`;
  return policy.create(normalised, resolved, params, options.trace !== undefined ? { trace: options.trace } : {});
}

/**
 * A new cache. `spec` is a policy name with optional parameters (`set-assoc:ways=2`,
 * `lirs:hir=1%,nonres=2c`, `arc:step=int`); unknown names and bad values throw an error listing
 * what is valid. Page contents live in one preallocated slab of capacityPages x pageSize bytes
 * (none with storeData: false).
 */
export function createCache(spec: string, options: CreateCacheOptions): PageCache {
  return build(spec, options);
}

export interface SimulateOptions {
  /**
   * A request for the same page as the previous request is counted as a hit without being shown
   * to the policy (the convention of some reference simulators; cache-policies.md 1.0).
   * Default false. Generations then count the requests the policy sees.
   */
  collapseRepeats?: boolean;
  /** Advance the generation (a dirty sync; QEMU's age rule) every this many requests. Default never. */
  requestsPerGeneration?: number;
  /**
   * Or: advance it before each of these request indices (ascending; e.g. the starts of a
   * workload's sync rounds, where index 0 is ignored). Not combinable with requestsPerGeneration
   * or collapseRepeats.
   */
  generationStarts?: ArrayLike<number>;
}

export interface SimulationResult {
  requests: number;
  hits: number;
  misses: number;
  /** Misses whose insert the policy refused (qemu's age rule, opt:bypass=yes). */
  refused: number;
}

/**
 * Replays an access trace through a fresh cache of `capacityPages` pages (access-only, no
 * slab); every miss inserts. Keys must be integers in [0, 2^53).
 */
export function simulateCache(spec: string, capacityPages: number, keys: ArrayLike<number>, options: SimulateOptions = {}): SimulationResult {
  return runSimulation(spec, capacityPages, keys, options).result;
}

export interface TimedSimulation {
  result: SimulationResult;
  /** Wall time of the replay loop alone (no validation, no cache construction), ms. */
  replayMs: number;
  /** CPU time (user + system) of this process during the replay loop, ms: less sensitive to other load on a shared machine. */
  replayCpuMs: number;
}

/** simulateCache, also timing the replay loop (benchmarks). */
export function timeSimulation(spec: string, capacityPages: number, keys: ArrayLike<number>, options: SimulateOptions = {}): TimedSimulation {
  return runSimulation(spec, capacityPages, keys, options);
}

function runSimulation(spec: string, capacityPages: number, keys: ArrayLike<number>, options: SimulateOptions): TimedSimulation {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!(key >= 0 && key <= Number.MAX_SAFE_INTEGER && Math.floor(key) === key)) {
      checkKey(key); // throws the standard message
    }
  }
  const perGeneration = options.requestsPerGeneration ?? 0;
  if (!(Number.isInteger(perGeneration) && perGeneration >= 0)) {
    throw new RangeError(`requestsPerGeneration must be a non-negative integer, got ${perGeneration}`);
  }
  // One element type in the replay loop: a Float64Array (copied only when given something else).
  const starts = options.generationStarts;
  if (starts !== undefined && (perGeneration > 0 || options.collapseRepeats)) {
    throw new Error('generationStarts cannot be combined with requestsPerGeneration or collapseRepeats');
  }
  if (starts !== undefined) {
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i]!;
      if (!(Number.isInteger(start) && start >= 0 && (i === 0 || start > starts[i - 1]!))) {
        throw new RangeError(`generationStarts must be ascending non-negative integers; entry ${i} is ${start}`);
      }
    }
  }
  let shown: Float64Array = keys instanceof Float64Array ? keys : Float64Array.from(keys);
  let repeats = 0;
  if (options.collapseRepeats) {
    shown = collapseRepeats(shown);
    repeats = keys.length - shown.length;
  }
  const cache = build(spec, { capacityPages, storeData: false, trace: shown });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const shownHits =
    starts !== undefined
      ? replayRounds(cache, shown, starts)
      : perGeneration > 0
        ? replayWithGenerations(cache, shown, perGeneration)
        : cache.replay(shown);
  const replayMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const replayCpuMs = (cpu.user + cpu.system) / 1e3;
  const hits = repeats + shownHits;
  return { result: { requests: keys.length, hits, misses: keys.length - hits, refused: cache.stats().refused }, replayMs, replayCpuMs };
}

/** The trace without back-to-back repeats (each run of one key kept once). */
export function collapseRepeats(keys: ArrayLike<number>): Float64Array {
  const out = new Float64Array(keys.length);
  let length = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (length === 0 || out[length - 1] !== key) out[length++] = key;
  }
  return out.slice(0, length);
}

function replayWithGenerations(cache: BaseCache, keys: Float64Array, perGeneration: number): number {
  let hits = 0;
  const length = keys.length;
  let untilSync = perGeneration;
  for (let i = 0; i < length; i++) {
    if (cache.access(keys[i]!)) hits++;
    if (--untilSync === 0) {
      cache.nextGeneration();
      untilSync = perGeneration;
    }
  }
  return hits;
}


function replayRounds(cache: BaseCache, keys: Float64Array, starts: ArrayLike<number>): number {
  let hits = 0;
  let next = 0;
  while (next < starts.length && starts[next]! <= 0) next++;
  for (let i = 0; i < keys.length; i++) {
    if (next < starts.length && starts[next] === i) {
      cache.nextGeneration();
      next++;
    }
    if (cache.access(keys[i]!)) hits++;
  }
  return hits;
}
