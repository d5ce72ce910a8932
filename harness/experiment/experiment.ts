/**
 * Experiment files (JSON or YAML, documented in docs/experiments.md): lists of codecs, cache
 * policies, cache sizes, workloads, guest sizes, bandwidths, downtime limits, modes and
 * seeds. `parseExperiment` validates one strictly (unknown keys, wrong types and empty
 * dimensions are errors naming the path of the bad key); `expandCells` turns it into the
 * cross product of cells, each with a stable key so that runs can resume and shards merge.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createCache } from '../../caches/registry.js';
import { createWorkload } from '../../workloads/registry.js';
import { SCENARIOS } from '../../workloads/scenarios.js';
import { formatBytes } from '../../units/quantities.js';
import { CPU_MODES, type CpuMode } from '../migration/cpu.js';
import { DEFAULTS as MIGRATION_DEFAULTS, MIGRATION_MODES } from '../migration/options.js';
import { codecNeedsCache, resolveTracePath } from './expand.js';
import {
  bandwidthEntry,
  durationEntry,
  oneOf,
  parseCacheSpec,
  parseCodecName,
  parseScenarioName,
  parseSeed,
  parseTracePath,
  parseWorkload,
  positiveInteger,
  sizeEntry,
  typeName,
} from './validate.js';

export const CELL_KINDS = ['migration', 'codec', 'cache'] as const;
export type CellKind = (typeof CELL_KINDS)[number];
export { CPU_MODES, MIGRATION_MODES };
// The split: entry validators (validate.ts), the cross product (expand.ts), shards (shard.ts).
export { cellKey, codecNeedsCache, expandCells, resolveTracePath } from './expand.js';
export { experimentId, parseShard, shardCells } from './shard.js';

export interface ExperimentSettings {
  /** Bytes per page (default 4096). */
  pageSize: number;
  /** `model` (exactly reproducible) or `measured` CPU cost in migrations (default model). */
  cpu: CpuMode;
  /** Round cap of a migration before it is marked "did not converge" (default 30). */
  maxRounds: number;
  /** Optional max-bandwidth cap in bytes/s (QEMU's default is 128 MiB/s); null = none. */
  maxBandwidthBps: number | null;
  /** Codec cells: distinct canonical page pairs in the pool (default 1024). */
  codecPages: number;
  /** Codec cells: measuring time per benchmark task in ms (default 100). */
  codecTimeMs: number;
  /** Cache cells driven by a workload: simulated time the workload runs, ms (default 10000). */
  cacheDurationMs: number;
  /** Cache cells: at most this many accesses are replayed (default 2,000,000). */
  maxAccesses: number;
  /** Folder of the experiment file: relative trace paths resolve against it (not part of cell keys). */
  baseDir: string;
}

export interface Experiment {
  name: string;
  description: string;
  /** Where the file was read from (relative trace paths resolve against its folder). */
  baseDir: string;
  kinds: CellKind[];
  codecs: string[];
  caches: string[];
  cacheSizes: number[];
  workloads: string[];
  guestSizes: number[];
  bandwidths: number[];
  downtimeLimits: number[];
  modes: string[];
  seeds: number[];
  scenarios: string[];
  traces: string[];
  settings: ExperimentSettings;
}

export interface MigrationCellParams {
  kind: 'migration';
  codec: string;
  /** null for codecs that need no cache (whole-page codecs and `none`). */
  cache: string | null;
  cacheBytes: number;
  workload: string;
  ramBytes: number;
  bandwidthBps: number;
  downtimeLimitMs: number;
  mode: string;
  seed: number;
}

export interface CodecCellParams {
  kind: 'codec';
  codec: string;
  scenario: string;
}

export interface CacheCellParams {
  kind: 'cache';
  cache: string;
  cacheBytes: number;
  /** A workload spec (its writes are the accesses) or `trace:PATH` (an access trace). */
  source: string;
  /** Guest size a workload source runs on (null for traces). */
  ramBytes: number | null;
  seed: number | null;
}

export type CellParams = MigrationCellParams | CodecCellParams | CacheCellParams;

export interface Cell {
  /** Position in the experiment's canonical order (shards and merges sort by it). */
  index: number;
  /** Stable identity: a hash of the parameters and the settings that affect the result. */
  key: string;
  params: CellParams;
}

/** A bad experiment file: the message names the file and the path of each bad key. */
export class ExperimentError extends Error {
  override name = 'ExperimentError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(
      `${source}: ${problems[0]}${problems.length > 1 ? `; and ${problems.length - 1} more: ${problems.slice(1).join('; ')}` : ''}`,
    );
  }
}

// The migration's own defaults (one place, harness/migration/options.ts), as `migrate` uses them.
export const DEFAULT_SETTINGS: ExperimentSettings = {
  pageSize: MIGRATION_DEFAULTS.pageSize,
  cpu: MIGRATION_DEFAULTS.cpu,
  maxRounds: MIGRATION_DEFAULTS.maxRounds,
  maxBandwidthBps: MIGRATION_DEFAULTS.maxBandwidthBps,
  codecPages: 1024,
  codecTimeMs: 100,
  cacheDurationMs: 10_000,
  maxAccesses: 2_000_000,
  baseDir: '.',
};

const TOP_KEYS = [
  'name',
  'description',
  'kinds',
  'codecs',
  'caches',
  'cacheSizes',
  'workloads',
  'guestSizes',
  'bandwidths',
  'downtimeLimits',
  'modes',
  'seeds',
  'scenarios',
  'traces',
  'settings',
] as const;
const SETTING_KEYS = ['pageSize', 'cpu', 'maxRounds', 'maxBandwidth', 'codecPages', 'codecTimeMs', 'cacheDuration', 'maxAccesses'] as const;

/** Reads and validates an experiment file (.json, .yaml or .yml). */
export function loadExperiment(path: string): Experiment {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read experiment file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const extension = extname(path).toLowerCase();
  let document: unknown;
  try {
    document = extension === '.yaml' || extension === '.yml' ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    const kind = extension === '.yaml' || extension === '.yml' ? 'YAML' : 'JSON';
    throw new Error(`${path}: not valid ${kind}: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseExperiment(document, { source: path, baseDir: dirname(resolve(path)), defaultName: basename(path, extname(path)) });
}

export interface ParseOptions {
  /** Named in error messages (default "experiment"). */
  source?: string;
  baseDir?: string;
  defaultName?: string;
}

/** Validates an experiment document (already parsed from JSON/YAML). */
export function parseExperiment(document: unknown, options: ParseOptions = {}): Experiment {
  const source = options.source ?? 'experiment';
  const problems: string[] = [];
  const problem = (path: string, message: string): void => {
    problems.push(`${path}: ${message}`);
  };
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new ExperimentError(source, [`(top level): expected an object with keys such as codecs, workloads, bandwidths; got ${typeName(document)}`]);
  }
  const doc = document as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    if (!(TOP_KEYS as readonly string[]).includes(key)) problem(key, `unknown key; valid keys: ${TOP_KEYS.join(', ')}`);
  }

  const stringValue = (path: string, value: unknown, fallback: string): string => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string') {
      problem(path, `expected a string, got ${typeName(value)}`);
      return fallback;
    }
    return value;
  };

  /** A dimension: absent -> default (or required), present -> non-empty list of valid items. */
  function list<T>(key: string, parseItem: (value: unknown) => T, fallback: T[] | null, required: boolean): T[] {
    const value = doc[key];
    if (value === undefined) {
      if (required) problem(key, 'missing; this experiment needs it');
      return fallback ?? [];
    }
    if (!Array.isArray(value)) {
      problem(key, `expected a list, got ${typeName(value)}`);
      return fallback ?? [];
    }
    if (value.length === 0) {
      problem(key, 'empty list: a dimension needs at least one value (leave the key out to use its default)');
      return fallback ?? [];
    }
    const items: T[] = [];
    const seen = new Set<string>();
    value.forEach((item, position) => {
      try {
        const parsed = parseItem(item);
        const identity = JSON.stringify(parsed);
        if (seen.has(identity)) problem(`${key}[${position}]`, `duplicate value ${identity}`);
        seen.add(identity);
        items.push(parsed);
      } catch (error) {
        problem(`${key}[${position}]`, (error as Error).message);
      }
    });
    return items;
  }

  const kinds = list('kinds', (value) => oneOf(value, CELL_KINDS), ['migration'], false) as CellKind[];
  const wants = (kind: CellKind): boolean => kinds.includes(kind);
  const codecs = list('codecs', parseCodecName, null, wants('migration') || wants('codec'));
  if (wants('codec') && codecs.includes('none') && !wants('migration')) {
    problem('codecs', '"none" is not a codec to benchmark; codec cells need real codecs');
  }
  const caches = list('caches', parseCacheSpec, ['qemu'], wants('cache'));
  const cacheSizes = list('cacheSizes', sizeEntry, [MIGRATION_DEFAULTS.cacheBytes], false);
  const workloads = list('workloads', parseWorkload, null, wants('migration'));
  const guestSizes = list('guestSizes', sizeEntry, null, wants('migration') || (wants('cache') && doc.workloads !== undefined));
  const bandwidths = list('bandwidths', bandwidthEntry, [MIGRATION_DEFAULTS.bandwidthBps], false);
  const downtimeLimits = list('downtimeLimits', durationEntry, [MIGRATION_DEFAULTS.downtimeLimitMs], false);
  const modes = list('modes', (value) => oneOf(value, MIGRATION_MODES), ['qemu'], false);
  const seeds = list('seeds', parseSeed, [1], false);
  const scenarios = list('scenarios', parseScenarioName, SCENARIOS.map((scenario) => scenario.name), false);
  const traces = list('traces', parseTracePath, [], false);
  if (wants('cache') && workloads.length === 0 && traces.length === 0) {
    problem('traces', 'cache cells need access streams: give traces, workloads, or both');
  }

  const settings = parseSettings(doc.settings, problem);
  settings.baseDir = options.baseDir ?? process.cwd();
  for (const [key, values] of [
    ['cacheSizes', cacheSizes],
    ['guestSizes', guestSizes],
  ] as const) {
    values.forEach((bytes, position) => {
      if (bytes % settings.pageSize !== 0) problem(`${key}[${position}]`, `${bytes} bytes is not a whole number of ${settings.pageSize}-byte pages`);
    });
  }

  if (kinds.includes('migration') && codecs.some((codec) => codecNeedsCache(codec))) {
    cacheSizes.forEach((cacheBytes, cachePosition) => {
      guestSizes.forEach((ramBytes, guestPosition) => {
        if (cacheBytes > ramBytes) {
          problem(
            `cacheSizes[${cachePosition}]`,
            `${formatBytes(cacheBytes)} is larger than guestSizes[${guestPosition}] (${formatBytes(ramBytes)}): QEMU refuses a cache larger than the guest; split the grid into experiments whose sizes fit`,
          );
        }
      });
    });
  }

  traces.forEach((trace, position) => {
    const path = resolve(settings.baseDir, trace);
    if (!existsSync(path)) problem(`traces[${position}]`, `no such file: ${path}`);
  });

  // The specs themselves, checked by the registries at every size they will run with, so a
  // typo fails here with its path rather than in cell 300 of a long run.
  if (problems.length === 0) {
    const pageSize = settings.pageSize;
    workloads.forEach((spec, position) => {
      for (const ramBytes of guestSizes.length > 0 ? guestSizes : [64 * 2 ** 20]) {
        try {
          createWorkload(resolveTracePath(spec, settings.baseDir), { pageCount: ramBytes / pageSize, pageSize, seed: 1 });
        } catch (error) {
          problem(`workloads[${position}]`, (error as Error).message);
          break;
        }
      }
    });
    const cachedCodecs = kinds.includes('cache') || (kinds.includes('migration') && codecs.some((codec) => codecNeedsCache(codec)));
    if (cachedCodecs) {
      caches.forEach((spec, position) => {
        const clairvoyant = /^opt(:|$)/.test(spec);
        if (clairvoyant && kinds.includes('migration') && codecs.some((codec) => codecNeedsCache(codec))) {
          problem(`caches[${position}]`, 'opt needs the future access sequence: it can only run in cache cells (kinds: [cache])');
          return;
        }
        for (const cacheBytes of cacheSizes) {
          try {
            createCache(spec, { capacityPages: cacheBytes / pageSize, pageSize, storeData: false, ...(clairvoyant ? { trace: [] } : {}) });
          } catch (error) {
            problem(`caches[${position}]`, `${(error as Error).message} (cache size ${cacheBytes} bytes)`);
            break;
          }
        }
      });
    }
  }

  const experiment: Experiment = {
    name: stringValue('name', doc.name, options.defaultName ?? 'experiment'),
    description: stringValue('description', doc.description, ''),
    baseDir: options.baseDir ?? process.cwd(),
    kinds,
    codecs,
    caches,
    cacheSizes,
    workloads,
    guestSizes,
    bandwidths,
    downtimeLimits,
    modes,
    seeds,
    scenarios,
    traces,
    settings,
  };
  if (problems.length > 0) throw new ExperimentError(source, problems);
  return experiment;
}

function parseSettings(value: unknown, problem: (path: string, message: string) => void): ExperimentSettings {
  const settings: ExperimentSettings = { ...DEFAULT_SETTINGS };
  if (value === undefined) return settings;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problem('settings', `expected an object, got ${typeName(value)}`);
    return settings;
  }
  const record = value as Record<string, unknown>;
  for (const [key, item] of Object.entries(record)) {
    const path = `settings.${key}`;
    try {
      switch (key) {
        case 'pageSize': {
          const size = sizeEntry(item);
          if ((size & (size - 1)) !== 0 || size < 512 || size > 65536) throw new Error(`expected a power of two from 512 to 65536, got ${size}`);
          settings.pageSize = size;
          break;
        }
        case 'cpu':
          settings.cpu = oneOf(item, CPU_MODES);
          break;
        case 'maxRounds':
          settings.maxRounds = positiveInteger(item);
          break;
        case 'maxBandwidth':
          settings.maxBandwidthBps = item === null || item === 0 || item === 'none' ? null : bandwidthEntry(item);
          break;
        case 'codecPages':
          settings.codecPages = positiveInteger(item);
          break;
        case 'codecTimeMs':
          settings.codecTimeMs = durationEntry(item);
          break;
        case 'cacheDuration':
          settings.cacheDurationMs = durationEntry(item);
          break;
        case 'maxAccesses':
          settings.maxAccesses = positiveInteger(item);
          break;
        default:
          problem(path, `unknown setting; valid settings: ${SETTING_KEYS.join(', ')}`);
      }
    } catch (error) {
      problem(path, (error as Error).message);
    }
  }
  return settings;
}

/** Default scenario list, exported for docs and tests. */
export const DEFAULT_SCENARIOS = SCENARIOS.map((scenario) => scenario.name);
