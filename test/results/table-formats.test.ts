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
