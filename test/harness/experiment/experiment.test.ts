import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellKey, expandCells, loadExperiment, parseExperiment, parseShard, shardCells } from '../../../harness/experiment/experiment.js';
import { runExperiment } from '../../../harness/experiment/runner.js';
import { mergeResults, parseResults, type ResultRow } from '../../../results/rows.js';
import { metricTable } from '../../../results/views.js';
import { temporaryDirectory } from '../../temporary-directory.js';

const tmp = (): string => temporaryDirectory('pagedelta-harness-');

const CODEC_EXPERIMENT = {
  name: 'tiny-codecs',
  kinds: ['codec'],
  codecs: ['xbzrle', 'xor-lz4', 'raw'],
  scenarios: ['SPARSE', 'DENSE'],
  settings: { codecPages: 32, codecTimeMs: 5 },
};

describe('units in experiment files (units/quantities.ts rules)', () => {
  it('reads sizes, bandwidths and durations with one meaning, and only positive values', () => {
    const experiment = parseExperiment({
      codecs: ['xbzrle'],
      workloads: ['idle'],
      guestSizes: ['64M', '1Gi', '8192kB'],
      cacheSizes: ['1MiB', '2Mi'],
      bandwidths: ['1Gbit', '100Mb', '125MiB/s'],
      downtimeLimits: ['300ms', '1.5s', 30],
    });
    expect(experiment.guestSizes).toEqual([64 * 2 ** 20, 2 ** 30, 8_192_000]);
    expect(experiment.cacheSizes).toEqual([2 ** 20, 2 * 2 ** 20]);
    expect(experiment.bandwidths).toEqual([125_000_000, 12_500_000, 125 * 2 ** 20]);
    expect(experiment.downtimeLimits).toEqual([300, 1500, 30]);
    // 64M and 64Mi are one size: the duplicate is named.
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'], guestSizes: ['64M', '64Mi'] })).toThrow(/guestSizes\[1\]: duplicate value 67108864/);
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'], guestSizes: [-1] })).toThrow(/guestSizes\[0\]: bad size -1/);
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'], guestSizes: ['12 parsecs'] })).toThrow(/guestSizes\[0\]: bad size "12 parsecs": expected a size like "64M"/);
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'], guestSizes: ['64M'], downtimeLimits: ['0ms'] })).toThrow(/downtimeLimits\[0\]: duration "0ms" is not positive/);
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'], guestSizes: ['64M'], bandwidths: [0] })).toThrow(/bandwidths\[0\]: bandwidth 0 is not positive/);
  });
});

describe('experiment files', () => {
  it('names the path of an unknown key, a wrong type and an empty dimension', () => {
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'], guestSizes: ['64M'], bandwdths: ['1Gbit'] }, { source: 'x.yaml' })).toThrow(
      /^x\.yaml: bandwdths: unknown key/,
    );
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'], guestSizes: ['64M'], bandwidths: ['1Gbit', 'fast'] })).toThrow(
      /bandwidths\[1\]: bad bandwidth "fast": expected a rate like "1Gbit"/,
    );
    expect(() => parseExperiment({ codecs: 'xbzrle', workloads: ['idle'], guestSizes: ['64M'] })).toThrow(/codecs: expected a list, got string/);
    expect(() => parseExperiment({ codecs: [], workloads: ['idle'], guestSizes: ['64M'] })).toThrow(/codecs: empty list/);
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'], guestSizes: ['64M'], seeds: [1.5] })).toThrow(/seeds\[0\]: expected a non-negative integer/);
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'], guestSizes: ['64M'], settings: { cpu: 'fast' } })).toThrow(
      /settings\.cpu: expected one of model, measured/,
    );
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'], guestSizes: ['64M'], settings: { colour: 1 } })).toThrow(/settings\.colour: unknown setting/);
    expect(() => parseExperiment({ codecs: ['zstd'], workloads: ['idle'], guestSizes: ['64M'] })).toThrow(/codecs\[0\]: unknown codec "zstd"/);
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'] })).toThrow(/guestSizes: missing/);
    expect(() => parseExperiment({ codecs: ['xbzrle'], workloads: ['idle'], guestSizes: [5000] })).toThrow(/guestSizes\[0\]: 5000 bytes is not a whole number of 4096-byte pages/);
    expect(() => parseExperiment(['xbzrle'])).toThrow(/expected an object/);
  });

  it('reports every problem on one line', () => {
    try {
      parseExperiment({ codecs: [], modes: ['kvm'], extra: true }, { source: 'grid.json' });
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toMatch(/extra: unknown key/);
      expect(message).toMatch(/codecs: empty list/);
      expect(message).toMatch(/modes\[0\]: expected one of qemu, qemu-2011/);
    }
  });

  it('reads YAML and normalises workload objects to spec strings', () => {
    const dir = tmp();
    const path = join(dir, 'grid.yaml');
    writeFileSync(
      path,
      ['codecs: [none, xbzrle, lz4]', 'caches: [lru, qemu]', 'cacheSizes: [8M, 16M]', 'workloads:', '  - {type: zipf, skew: 0.9, rate: 20000}', 'guestSizes: [64M]', 'seeds: [1, 2]'].join('\n'),
    );
    const experiment = loadExperiment(path);
    expect(experiment.name).toBe('grid');
    expect(experiment.workloads).toEqual(['zipf:skew=0.9,rate=20000']);
    const cells = expandCells(experiment);
    // xbzrle: 2 caches x 2 sizes x 2 seeds = 8; none and lz4 need no cache: 2 seeds each.
    expect(cells).toHaveLength(12);
    expect(cells.filter((cell) => cell.params.kind === 'migration' && cell.params.cache === null)).toHaveLength(4);
    expect(new Set(cells.map((cell) => cell.key)).size).toBe(12);
    expect(cells.map((cell) => cell.index)).toEqual([...cells.keys()]);
  });

  it('a YAML number printed with an exponent (1e30 -> "1e+30") keeps its "+": the same message as on the command line', async () => {
    const dir = tmp();
    const path = join(dir, 'big.yaml');
    writeFileSync(path, ['codecs: [none]', 'workloads:', '  - {type: zipf, rate: 1e30}', 'guestSizes: [16M]'].join('\n'));
    expect(() => loadExperiment(path)).toThrow(/big\.yaml: workloads\[0\]: workload "zipf": rate=1e\+30 must be <= 100000000$/);
    const { createWorkload } = await import('../../../workloads/registry.js');
    expect(() => createWorkload('zipf:rate=1e+30', { pageCount: 16 })).toThrow(/^workload "zipf": rate=1e\+30 must be <= 100000000$/);
    // Compositions still split on "+", with or without spaces, and after an exponent's digits.
    const { splitComposition } = await import('../../../workloads/params.js');
    expect(splitComposition('zipf:rate=1e+3 + uniform:rate=2E+2')).toEqual(['zipf:rate=1e+3', 'uniform:rate=2E+2']);
    expect(splitComposition('idle+hotset:rate=1e+5+scan')).toEqual(['idle', 'hotset:rate=1e+5', 'scan']);
  });

  it('the example experiment in experiments/ is valid', () => {
    const experiment = loadExperiment(new URL('../../../experiments/example.yaml', import.meta.url).pathname);
    const cells = expandCells(experiment);
    // migration: 2 bandwidths x 2 seeds x (none + 2 codecs x 2 caches x 2 sizes) = 36; codec: 2 x 2 = 4.
    expect(cells.filter((cell) => cell.params.kind === 'migration')).toHaveLength(36);
    expect(cells.filter((cell) => cell.params.kind === 'codec')).toHaveLength(4);
  });

  it('reports bad YAML with the file name', () => {
    const dir = tmp();
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'codecs: [xbzrle\n');
    expect(() => loadExperiment(path)).toThrow(/bad\.yaml: not valid YAML/);
  });

  it('cell keys are stable and change with the settings that matter', () => {
    const experiment = parseExperiment(CODEC_EXPERIMENT);
    const first = expandCells(experiment).map((cell) => cell.key);
    expect(expandCells(parseExperiment(CODEC_EXPERIMENT)).map((cell) => cell.key)).toEqual(first);
    const params = expandCells(experiment)[0]!.params;
    expect(cellKey(params, { ...experiment.settings, codecPages: 64 })).not.toBe(first[0]);
    // cpu is a migration setting: it does not change a codec cell.
    expect(cellKey(params, { ...experiment.settings, cpu: 'measured' })).toBe(first[0]);
  });

  it('shards partition the cells', () => {
    const cells = expandCells(parseExperiment(CODEC_EXPERIMENT));
    const shards = [1, 2, 3].map((index) => shardCells(cells, { index, count: 3 }));
    expect(shards.flat().map((cell) => cell.index).sort((a, b) => a - b)).toEqual(cells.map((cell) => cell.index));
    expect(shards[1]!.every((cell) => cell.index % 3 === 1)).toBe(true);
    expect(() => parseShard('0/3')).toThrow(/--shard must be I\/N/);
    expect(() => parseShard('4/3')).toThrow(/--shard/);
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
  });
});

describe('runner and results files', () => {
  it('runs codec cells, appends rows, resumes, and repairs an interrupted last line', async () => {
    const dir = tmp();
    const out = join(dir, 'r.jsonl');
    const experiment = parseExperiment(CODEC_EXPERIMENT);
    const first = await runExperiment(experiment, { out, workers: 0 });
    expect(first.ran).toBe(6);
    const rows = parseResults(readFileSync(out, 'utf8')).rows;
    expect(rows).toHaveLength(6);
    const xbzrleSparse = rows.find((row) => row.codec === 'xbzrle' && row.scenario === 'SPARSE')!;
    expect(xbzrleSparse.encodedBytes).toBe(59); // the canonical pair, exactly
    expect(xbzrleSparse.ratio).toBeCloseTo(59 / 4096, 12);
    expect(xbzrleSparse.verified).toBe(true);
    expect(rows.find((row) => row.codec === 'raw')!.ratio).toBe(1);

    const again = await runExperiment(experiment, { out, workers: 0 });
    expect(again).toMatchObject({ ran: 0, skipped: 6 });

    // Drop the last row and leave half of it behind, as a killed run would.
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    writeFileSync(out, `${lines.slice(0, 4).join('\n')}\n${lines[4]!.slice(0, 40)}`);
    const warnings: string[] = [];
    const resumed = await runExperiment(experiment, { out, workers: 0, onWarning: (message) => warnings.push(message) });
    expect(resumed).toMatchObject({ ran: 2, skipped: 4 });
    expect(warnings.join('\n')).toMatch(/incomplete last line/);
    const final = parseResults(readFileSync(out, 'utf8'));
    expect(final.corrupt).toEqual([]);
    expect(final.rows.map((row) => row.cell).sort()).toEqual(rows.map((row) => row.cell).sort());
  });

  it('an aborted run keeps the rows it finished', async () => {
    const dir = tmp();
    const out = join(dir, 'r.jsonl');
    const controller = new AbortController();
    const summary = await runExperiment(parseExperiment(CODEC_EXPERIMENT), {
      out,
      workers: 0,
      signal: controller.signal,
      onRow: (row) => {
        if (row.index === 1) controller.abort();
      },
    });
    expect(summary).toMatchObject({ interrupted: true, ran: 2 });
    expect(parseResults(readFileSync(out, 'utf8')).rows).toHaveLength(2);
  });

  it('a corrupt line is reported by number and the good rows stay usable', () => {
    const good = (index: number): string => JSON.stringify({ schema: 1, experiment: 'e', experimentId: 'x', cell: `c${index}`, index, kind: 'codec', codec: 'xbzrle', ratio: 0.5 });
    const text = `${good(0)}\n{"schema":1,"cell":\n${good(1)}\n[1,2]\n${good(2)}\n`;
    const results = parseResults(text);
    expect(results.rows.map((row) => row.index)).toEqual([0, 1, 2]);
    expect(results.corrupt.map((entry) => entry.line)).toEqual([2, 4]);
    expect(results.corrupt[0]!.message).toMatch(/not valid JSON/);
    expect(results.corrupt[1]!.message).toMatch(/not a JSON object/);
  });

  it('merging shards in any order gives one row per cell in canonical order', () => {
    const row = (index: number, extra = {}): ResultRow => ({ schema: 1, experiment: 'e', experimentId: 'x', cell: `c${index}`, index, kind: 'codec', ...extra });
    const a = [row(0), row(2), row(4)];
    const b = [row(1), row(3), row(2, { duplicate: true })];
    const merged = mergeResults([b, a]);
    expect(merged.rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(merged.duplicates).toBe(1);
    expect(mergeResults([a, b]).rows.map((r) => r.cell)).toEqual(merged.rows.map((r) => r.cell));
  });

  it('appends to a results file that already ends cleanly', () => {
    const dir = tmp();
    const out = join(dir, 'r.jsonl');
    appendFileSync(out, '');
    expect(parseResults(readFileSync(out, 'utf8')).rows).toEqual([]);
  });
});

describe('cache cells', () => {
  it('replays an access trace (path relative to the experiment file) with hand-checked hit ratios', async () => {
    const dir = tmp();
    // LRU with 3 pages: 1 2 3 miss, 1 2 3 hit, 4 miss (evicts 1), 1 miss (evicts 2), 3 hit.
    writeFileSync(join(dir, 'keys.txt'), '1\n2\n3\n1\n2\n3\n4\n1\n3\n');
    writeFileSync(join(dir, 'cache.json'), JSON.stringify({ kinds: ['cache'], caches: ['lru', 'fifo'], cacheSizes: [3 * 4096, 4 * 4096], traces: ['keys.txt'] }));
    const experiment = loadExperiment(join(dir, 'cache.json'));
    const { rows } = await runExperiment(experiment, { workers: 0 });
    const find = (cache: string, pages: number): ResultRow => rows.find((row) => row.cache === cache && row.capacityPages === pages)!;
    expect(find('lru', 3)).toMatchObject({ source: 'trace:keys.txt', requests: 9, hits: 4, misses: 5, hitRatio: 4 / 9, missRate: 5 / 9 });
    // FIFO with 3 pages: as LRU until 4 evicts 1 (oldest), 1 evicts 2, 3 still resident: hit.
    expect(find('fifo', 3)).toMatchObject({ hits: 4, misses: 5 });
    // 4 pages hold everything: only the 4 compulsory misses.
    expect(find('lru', 4)).toMatchObject({ hits: 5, misses: 4 });
  });

  it('replays the writes of a workload, the same on every run', async () => {
    const body = {
      kinds: ['cache'],
      caches: ['lru', 'qemu'],
      cacheSizes: ['1M'],
      workloads: ['zipf:skew=0.9,rate=20000'],
      guestSizes: ['16M'],
      settings: { cacheDuration: '1s' },
    };
    const first = (await runExperiment(parseExperiment(body), { workers: 0 })).rows;
    const second = (await runExperiment(parseExperiment(body), { workers: 0 })).rows;
    expect(first).toHaveLength(2);
    expect(first.map((row) => row.requests)).toEqual([20000, 20000]);
    expect(first.map((row) => [row.hits, row.misses])).toEqual(second.map((row) => [row.hits, row.misses]));
    expect(first[0]!.hitRatio).toBeGreaterThan(0.3); // Zipf 0.9: a 256-page cache of 4096 pages catches the head
  });

  it('checks policy and workload specs with the registries, naming the key', () => {
    const base = { kinds: ['cache'], workloads: ['zipf:skew=0.9'], guestSizes: ['16M'] };
    expect(() => parseExperiment({ ...base, caches: ['lru', 'mru'] })).toThrow(/caches\[1\]: unknown cache policy "mru"/);
    expect(() => parseExperiment({ ...base, caches: ['qemu'], cacheSizes: ['3M', '12K'] })).toThrow(/caches\[0\]: qemu: the number of slots must be a power of two .*got 768/);
    expect(() => parseExperiment({ ...base, caches: ['lru'], workloads: ['zipf:skew=-1'] })).toThrow(/workloads\[0\]: .*skew/);
    expect(() => parseExperiment({ ...base, caches: ['lru'], workloads: ['fractal'] })).toThrow(/workloads\[0\]: unknown workload "fractal"/);
  });
});

describe('tables', () => {
  const rows: ResultRow[] = [];
  let index = 0;
  for (const cache of ['lru', 'qemu'])
    for (const cacheBytes of [8 * 2 ** 20, 16 * 2 ** 20])
      for (const seed of [1, 2, 3]) {
        rows.push({
          schema: 1,
          experiment: 'e',
          experimentId: 'x',
          cell: `c${index}`,
          index: index++,
          kind: 'migration',
          codec: 'xbzrle',
          cache,
          cacheBytes,
          seed,
          downtimeMs: (cache === 'lru' ? 100 : 200) + cacheBytes / 2 ** 20 + seed * 10,
          missRate: 0.5,
        });
      }

  it('groups by the varying dimensions and takes the median over seeds', () => {
    const table = metricTable(rows, { metric: 'downtime' });
    expect(table.columns.map((column) => column.key)).toEqual(['cache', 'cacheBytes', 'downtimeMs', 'n']);
    expect(table.rows).toEqual([
      { cache: 'lru', cacheBytes: '8 MiB', 'downtimeMs': 128, n: 3 },
      { cache: 'lru', cacheBytes: '16 MiB', 'downtimeMs': 136, n: 3 },
      { cache: 'qemu', cacheBytes: '8 MiB', 'downtimeMs': 228, n: 3 },
      { cache: 'qemu', cacheBytes: '16 MiB', 'downtimeMs': 236, n: 3 },
    ]);
  });

  it('pivots a dimension into columns, with other aggregates', () => {
    const table = metricTable(rows, { metric: 'downtime', pivot: 'cacheBytes', aggregate: 'max' });
    expect(table.columns.map((column) => column.title ?? column.key)).toEqual(['cache', '8 MiB', '16 MiB']);
    expect(table.rows[1]).toEqual({ cache: 'qemu', [`downtimeMs@${8 * 2 ** 20}`]: 238, [`downtimeMs@${16 * 2 ** 20}`]: 246 });
  });

  it('filters, groups explicitly, and rejects what it cannot do', () => {
    const table = metricTable(rows, { metric: 'downtime', groupBy: ['cache'], where: { cacheBytes: '8 MiB' } });
    expect(table.rows).toEqual([
      { cache: 'lru', 'downtimeMs': 128, n: 3 },
      { cache: 'qemu', 'downtimeMs': 228, n: 3 },
    ]);
    expect(() => metricTable(rows, { metric: 'throughput' })).toThrow(/no result rows carry the metric "throughput"/);
    expect(() => metricTable(rows, { metric: 'speed' })).toThrow(/unknown metric "speed"/);
    expect(() => metricTable(rows, { metric: 'downtime', pivot: 'colour' })).toThrow(/unknown dimension "colour"/);
  });

  it('a negative or infinite metric makes its row corrupt; huge values neither overflow a mean nor a median', () => {
    const base = { schema: 1, experiment: 'x', experimentId: 'x', kind: 'migration', codec: 'none' };
    const parsed = parseResults(
      [
        JSON.stringify({ ...base, cell: 'a', index: 0, downtimeMs: 1e308 }),
        JSON.stringify({ ...base, cell: 'b', index: 1, downtimeMs: -5 }),
        `{"schema":1,"experiment":"x","experimentId":"x","kind":"migration","codec":"none","cell":"c","index":2,"downtimeMs":1e999}`,
        JSON.stringify({ ...base, cell: 'd', index: 3, downtimeMs: 1e308 }),
        '',
      ].join('\n'),
    );
    expect(parsed.corrupt).toEqual([
      { line: 2, message: 'downtimeMs is -5 (a metric is a finite number >= 0)' },
      { line: 3, message: 'downtimeMs is Infinity (a metric is a finite number >= 0)' },
    ]);
    // Without the check, -5 and 1e308 gave a median of 5e+307; two 1e308 summed to Infinity.
    for (const aggregate of ['median', 'mean'] as const) {
      expect(metricTable(parsed.rows, { metric: 'downtime', aggregate }).rows[0]!.downtimeMs).toBe(1e308);
    }
  });
});
