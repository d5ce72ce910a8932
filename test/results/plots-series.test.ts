import { describe, expect, it } from 'vitest';
import { buildFigure } from '../../results/plots.js';
import type { ResultRow } from '../../results/rows.js';

describe('line plots: series that coincide stay visible', () => {
  it('each series has its own dash pattern and hollow point shape, not only a colour', () => {
    const rows = ['lru', 'qemu'].flatMap((cache) =>
      [4, 16, 64].map((mb) => ({ kind: 'migration', cache, cacheBytes: mb * 2 ** 20, downtimeMs: 100 / mb, codec: 'xbzrle', seed: 1 }) as unknown as ResultRow),
    );
    const spec = buildFigure('downtime-vs-cache-size', rows).spec as unknown as { layer: Array<{ mark: { type: string; filled?: boolean }; encoding: Record<string, { field: string }> }> };
    expect(spec.layer.map((layer) => layer.mark.type)).toEqual(['line', 'point']);
    expect(spec.layer[0]!.encoding.strokeDash!.field).toBe('series');
    expect(spec.layer[1]!.encoding.shape!.field).toBe('series');
    expect(spec.layer[1]!.mark.filled).toBe(false);
  });
});

describe('line plots: no one-dot panels', () => {
  it('when every panel has a single x value, the series are bars, and the caption says why', () => {
    const rows = ['lru', 'qemu'].map((cache, i) => ({ kind: 'migration', cache, cacheBytes: 16 * 2 ** 20, downtimeMs: 10 + i, codec: 'xbzrle', seed: 1 }) as unknown as ResultRow);
    const figure = buildFigure('downtime-vs-cache-size', rows);
    const spec = figure.spec as unknown as { layer: Array<{ mark: { type: string } }>; encoding: { x: { field: string } } };
    expect(spec.layer.map((layer) => layer.mark.type)).toEqual(['bar']);
    expect(spec.encoding.x.field).toBe('series');
    expect(figure.caption).toMatch(/single cache size value, so the series are bars/);
  });
});

describe('downtime vs cache size: the no-compression baseline', () => {
  it('a migration with codec none is drawn as the series "no compression" at every cache size of its panel', () => {
    const policy = [4, 16].map((mb) => ({ kind: 'migration', workload: 'zipf', codec: 'xbzrle', cache: 'lru', cacheBytes: mb * 2 ** 20, downtimeMs: 100 / mb, seed: 1 }));
    const baseline = [1, 2, 3].map((seed) => ({ kind: 'migration', workload: 'zipf', codec: 'none', cache: null, cacheBytes: 0, downtimeMs: 40 + seed, seed }));
    // A baseline of another workload has no policy rows to sit beside, so it is not drawn.
    const unmatched = { kind: 'migration', workload: 'idle', codec: 'none', cache: null, cacheBytes: 0, downtimeMs: 7, seed: 1 };
    const rows = [...policy, ...baseline, unmatched] as unknown as ResultRow[];
    const figure = buildFigure('downtime-vs-cache-size', rows);
    const points = (figure.spec as { data: { values: Array<{ x: number; y: number; series: string }> } }).data.values;
    const noCompression = points.filter((point) => point.series === 'no compression').sort((a, b) => a.x - b.x);
    expect(noCompression.map((point) => [point.x / 2 ** 20, point.y])).toEqual([
      [4, 42],
      [16, 42],
    ]);
    expect(points.filter((point) => point.series === 'lru')).toHaveLength(2);
    expect(figure.caption).toMatch(/"no compression" is 3 migrations with codec none/);
  });
});
