/**
 * Scale benchmark of the simulator: wall time and peak memory of one end-to-end migration
 * (Zipf workload, xbzrle, cache = guest / 16) per guest size, each in its own process so that
 * peak RSS belongs to that size alone.
 *
 *   node dist/harness/migration/scale.js 256M,1G,4G        one row per size (JSON lines)
 *   node dist/harness/migration/scale.js --one 4G          the child: one run, one JSON line
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { simulateMigration } from './simulate.js';
import { parseSize } from './units.js';

export const SCALE_WORKLOAD = 'zipf:skew=0.9,rate=20000';

export interface ScaleRow {
  ramBytes: number;
  cacheBytes: number;
  wallSeconds: number;
  /** Peak resident set of the process, bytes. */
  peakRssBytes: number;
  peakOverGuest: number;
  simulatedSeconds: number;
  downtimeMs: number;
  rounds: number;
  converged: boolean;
  verification: string;
}

export function runScalePoint(ramBytes: number): ScaleRow {
  const cacheBytes = ramBytes / 16;
  const started = performance.now();
  const result = simulateMigration({ workload: SCALE_WORKLOAD, ramBytes, codec: 'xbzrle', cache: 'qemu', cacheBytes, cpu: 'model' });
  const wallSeconds = (performance.now() - started) / 1000;
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  return {
    ramBytes,
    cacheBytes,
    wallSeconds,
    peakRssBytes,
    peakOverGuest: peakRssBytes / ramBytes,
    simulatedSeconds: result.totalTimeMs / 1000,
    downtimeMs: result.downtimeMs,
    rounds: result.rounds,
    converged: result.converged,
    verification: result.verification,
  };
}

function main(argv: string[]): void {
  if (argv[0] === '--one') {
    process.stdout.write(`${JSON.stringify(runScalePoint(parseSize(argv[1] ?? '1G')))}\n`);
    return;
  }
  const sizes = (argv[0] ?? '256M,512M,1G,2G,4G').split(',');
  const self = fileURLToPath(import.meta.url);
  for (const size of sizes) {
    const child = spawnSync(process.execPath, ['--max-old-space-size=4096', self, '--one', size], { encoding: 'utf8' });
    if (child.status !== 0) {
      process.stdout.write(`${JSON.stringify({ size, error: child.stderr.trim().split('\n')[0] })}\n`);
      continue;
    }
    process.stdout.write(child.stdout);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
