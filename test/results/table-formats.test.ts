// One JSON shape and field-name CSV headers for every command.
import { describe, expect, it } from 'vitest';
import { renderJsonTables, renderTable, type Table } from '../../results/table.js';

const TABLE: Table = {
  title: 'T',
  columns: [{ key: 'capacity', title: 'capacity (pages)' }, { key: 'hitRatio', title: 'hit ratio', digits: 3 }],
  rows: [{ capacity: 10, hitRatio: 0.5 }],
  notes: ['n'],
  figures: [{ name: 'f', title: 'f', spec: { mark: 'point' } }] as unknown as Table['figures'],
};

describe('table formats', () => {
  it('CSV headers are field names, not display titles', () => {
    expect(renderTable(TABLE, 'csv')).toBe('capacity,hitRatio\n10,0.5\n');
  });
  it('JSON of one or several tables: { title, rows, notes }, rows keyed by field name, no column metadata or plot specs', () => {
    expect(JSON.parse(renderTable(TABLE, 'json'))).toEqual({ title: 'T', rows: [{ capacity: 10, hitRatio: 0.5 }], notes: ['n'] });
    expect(JSON.parse(renderJsonTables([TABLE, TABLE]))).toEqual([
      { title: 'T', rows: [{ capacity: 10, hitRatio: 0.5 }], notes: ['n'] },
      { title: 'T', rows: [{ capacity: 10, hitRatio: 0.5 }], notes: ['n'] },
    ]);
  });
});

describe('plot labels in words', () => {
  it('panels and captions name dimensions in words with units, and traces by file name', async () => {
    const { describeDimension } = await import('../../results/views.js');
    expect(describeDimension('bandwidthBps', 1.25e8)).toBe('link 1 Gbit/s');
    expect(describeDimension('ramBytes', 2 ** 30)).toBe('guest 1 GiB');
    expect(describeDimension('cacheBytes', 64 * 2 ** 20)).toBe('cache size 64 MiB');
    expect(describeDimension('downtimeLimitMs', 300)).toBe('downtime limit 300 ms');
    expect(describeDimension('workload', 'trace:/home/someone/runs/db.pdt,scale=2')).toBe('workload trace:db.pdt,scale=2');
  });
  it('a figure panel reads "link 20 Mbit/s", not bandwidthBps=...', async () => {
    const { buildFigure } = await import('../../results/plots.js');
    const row = (codec: string, bandwidthBps: number, ramBytes: number, totalTimeMs: number) =>
      ({ schema: 1, cell: `${codec}${bandwidthBps}${ramBytes}`, kind: 'migration', codec, bandwidthBps, ramBytes, totalTimeMs, downtimeMs: 1, workload: 'idle', seed: 1 }) as never;
    const figure = buildFigure('time-vs-bandwidth' as never, [row('xbzrle', 2.5e6, 2 ** 23, 10), row('none', 2.5e6, 2 ** 23, 20), row('xbzrle', 1.25e8, 2 ** 23, 5), row('none', 1.25e8, 2 ** 23, 8), row('xbzrle', 2.5e6, 2 ** 24, 10), row('none', 2.5e6, 2 ** 24, 20), row('xbzrle', 1.25e8, 2 ** 24, 5), row('none', 1.25e8, 2 ** 24, 8)]);
    const text = JSON.stringify(figure.spec);
    expect(text).not.toMatch(/ramBytes=|bandwidthBps=/);
    expect(text).toMatch(/guest 8 MiB/);
  });
});
