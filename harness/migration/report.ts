/** A migration result as tables: a summary, QEMU's statistic blocks, and the per-round timeline. */
import type { Row, Table } from '../../results/table.js';
import type { MigrationResult } from './stats.js';

function kv(title: string, entries: Record<string, string | number | boolean | null>): Table {
  return {
    title,
    columns: [{ key: 'name' }, { key: 'value' }],
    rows: Object.entries(entries).map(([name, value]) => ({ name, value })),
  };
}

export function migrationTables(result: MigrationResult): Table[] {
  const summary = kv('Migration', {
    converged: result.converged,
    'stop reason': result.stopReason,
    'total time (ms)': round(result.totalTimeMs),
    'downtime (ms)': round(result.downtimeMs),
    'syncs (rounds)': result.rounds,
    passes: result.passes,
    'setup time (ms)': round(result.setupTimeMs),
    'wire bytes': result.wireBytes,
    'normal pages / bytes': `${result.wire.normal.pages} / ${result.wire.normal.bytes}`,
    'zero pages / bytes': `${result.wire.zero.pages} / ${result.wire.zero.bytes}`,
    [`${deltaLabel(result)} pages / bytes`]: `${result.wire.delta.pages} / ${result.wire.delta.bytes}`,
    'compressed pages / bytes': `${result.wire.compressed.pages} / ${result.wire.compressed.bytes}`,
    'identical pages (not sent)': result.wire.identicalPages,
    'encode CPU (s)': round(result.cpu.encodeSeconds, 6),
    'decode CPU (s)': round(result.cpu.decodeSeconds, 6),
    'cache hit ratio': round(result.cacheHitRatio, 4),
    'throttle (%)': result.throttlePercent,
    verified: `${result.verified} (${result.verification})`,
    seed: result.seed,
  });
  summary.notes = [
    `Inputs: ${Object.entries(result.inputs)
      .map(([key, value]) => `${key}=${value}`)
      .join(', ')}`,
    ...result.notes,
    ...result.warnings.map((warning) => `Warning: ${warning}`),
  ];
  const stats = kv('query-migrate', {
    'total-time': round(result.stats['total-time'], 4),
    downtime: round(result.stats.downtime, 4),
    'setup-time': round(result.stats['setup-time'], 4),
    'expected-downtime': round(result.stats['expected-downtime'], 4),
    ...Object.fromEntries(Object.entries(result.stats.ram).map(([key, value]) => [`ram.${key}`, round(value, 4)])),
    ...Object.fromEntries(Object.entries(result.stats['xbzrle-cache']).map(([key, value]) => [`xbzrle-cache.${key}`, round(value, 4)])),
    ...Object.fromEntries(Object.entries(result.stats.compression).map(([key, value]) => [`compression.${key}`, round(value, 4)])),
    ...Object.fromEntries(Object.entries(result.wholeRun).map(([key, value]) => [`whole run: ${key}`, round(value, 4)])),
  });
  const timeline: Table = {
    title: 'Timeline',
    columns: [
      { key: 'round' },
      { key: 'stage' },
      { key: 'startMs', title: 'start ms', digits: 1 },
      { key: 'durationMs', title: 'duration ms', digits: 1 },
      { key: 'pagesNormal', title: 'normal' },
      { key: 'pagesZero', title: 'zero' },
      { key: 'pagesDelta', title: deltaLabel(result) },
      { key: 'pagesCompressed', title: 'compressed' },
      { key: 'pagesIdentical', title: 'identical' },
      { key: 'cacheMisses', title: 'cache miss' },
      { key: 'wireBytes', title: 'wire bytes' },
      { key: 'dirtyPagesAtSync', title: 'dirty at sync' },
      { key: 'newlyDirtyPages', title: 'newly dirty' },
      { key: 'thresholdBytes', title: 'threshold bytes', digits: 0 },
      { key: 'throttlePercent', title: 'throttle %' },
    ],
    rows: result.timeline.map((entry) => ({ ...entry }) as unknown as Row),
  };
  return [summary, stats, timeline];
}

/** QEMU's label for xbzrle; `delta (CODEC)` for any other codec. */
function deltaLabel(result: MigrationResult): string {
  return result.inputs.codec === 'xbzrle' ? 'xbzrle' : `delta (${String(result.inputs.codec)})`;
}

function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
