/** The cross product of an experiment: cells in a canonical order, each with a stable key. */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { getCodec } from '../../codecs/registry.js';
import type { Cell, CellKind, CellParams, Experiment, ExperimentSettings } from './experiment.js';

/**
 * A trace path in a spec (`trace:FILE` or `trace:FILE,scale=2`) made absolute against the
 * experiment's folder, at run time.
 */
export function resolveTracePath(spec: string, baseDir: string): string {
  if (!spec.startsWith('trace:')) return spec;
  const rest = spec.slice('trace:'.length);
  const match = /^(.*?)((?:,\s*[a-z]+=[^,]*)*)$/i.exec(rest);
  const file = (match?.[1] ?? rest).trim();
  return `trace:${isAbsolute(file) ? file : resolve(baseDir, file)}${match?.[2] ?? ''}`;
}

/** Codecs that need no cache: `none` and whole-page codecs. */
export function codecNeedsCache(codec: string): boolean {
  return codec !== 'none' && getCodec(codec).kind === 'delta';
}

/** The settings that affect each kind of cell (part of the cell key). */
function settingsFor(kind: CellKind, settings: ExperimentSettings): Record<string, unknown> {
  switch (kind) {
    case 'migration':
      return { pageSize: settings.pageSize, cpu: settings.cpu, maxRounds: settings.maxRounds, maxBandwidthBps: settings.maxBandwidthBps };
    case 'codec':
      return { pageSize: settings.pageSize, codecPages: settings.codecPages, codecTimeMs: settings.codecTimeMs };
    case 'cache':
      return { pageSize: settings.pageSize, cacheDurationMs: settings.cacheDurationMs, maxAccesses: settings.maxAccesses };
  }
}

/** The stable key of a cell: sha256 of its canonical parameters and relevant settings. */
export function cellKey(params: CellParams, settings: ExperimentSettings): string {
  const canonical = JSON.stringify({ params: sortKeys(params), settings: sortKeys(settingsFor(params.kind, settings)) });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 20);
}

function sortKeys(record: object): Record<string, unknown> {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = (record as Record<string, unknown>)[key];
  return sorted;
}

/**
 * The cross product, in a canonical order that does not depend on anything but the file:
 * migration cells, then codec cells, then cache cells. Codecs that need no cache are run
 * once per remaining combination (cache null), not once per cache policy and size.
 */
export function expandCells(experiment: Experiment): Cell[] {
  const all: CellParams[] = [];
  const seen = new Set<string>();
  const push = (params: CellParams): void => {
    const identity = JSON.stringify(sortKeys(params));
    if (seen.has(identity)) return;
    seen.add(identity);
    all.push(params);
  };
  const e = experiment;
  if (e.kinds.includes('migration')) {
    for (const workload of e.workloads)
      for (const ramBytes of e.guestSizes)
        for (const bandwidthBps of e.bandwidths)
          for (const downtimeLimitMs of e.downtimeLimits)
            for (const mode of e.modes)
              for (const codec of e.codecs)
                for (const cache of e.caches)
                  for (const cacheBytes of e.cacheSizes)
                    for (const seed of e.seeds) {
                      const needsCache = codecNeedsCache(codec);
                      push({
                        kind: 'migration',
                        codec,
                        cache: needsCache ? cache : null,
                        cacheBytes: needsCache ? cacheBytes : 0,
                        workload,
                        ramBytes,
                        bandwidthBps,
                        downtimeLimitMs,
                        mode,
                        seed,
                      });
                    }
  }
  if (e.kinds.includes('codec')) {
    for (const scenario of e.scenarios) for (const codec of e.codecs) if (codec !== 'none') push({ kind: 'codec', codec, scenario });
  }
  if (e.kinds.includes('cache')) {
    const sources: { source: string; ramBytes: number | null; seed: number | null }[] = [];
    for (const workload of e.workloads)
      for (const ramBytes of e.guestSizes) for (const seed of e.seeds) sources.push({ source: workload, ramBytes, seed });
    // The path as written (cell keys must not depend on where the checkout lives).
    for (const trace of e.traces) sources.push({ source: `trace:${trace}`, ramBytes: null, seed: null });
    for (const { source, ramBytes, seed } of sources)
      for (const cache of e.caches) for (const cacheBytes of e.cacheSizes) push({ kind: 'cache', cache, cacheBytes, source, ramBytes, seed });
  }
  return all.map((params, index) => ({ index, key: cellKey(params, experiment.settings), params }));
}
