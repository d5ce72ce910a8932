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
