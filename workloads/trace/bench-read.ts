/**
 * The cost of reading a trace as `trace info` and replay do: every record read, checked and
 * decoded (content pages applied to an image). Median of several whole passes, in MB of file
 * per second and page entries (or accesses) per second.
 */
import { statSync } from 'node:fs';
import { median } from '../../units/statistics.js';
import { traceInfo } from './info.js';

export interface TraceReadBenchmark {
  path: string;
  fileBytes: number;
  /** Page entries after the initial image (content) or accesses, per pass. */
  entries: number;
  rounds: number;
  passMs: number[];
  medianMs: number;
  /** 10^6 bytes of file per second, at the median pass. */
  MBps: number;
  entriesPerSecond: number;
}

export async function benchmarkTraceRead(path: string, rounds = 5): Promise<TraceReadBenchmark> {
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 1000)) throw new Error(`--rounds must be an integer in 1..1000, got ${rounds}`);
  const passMs: number[] = [];
  let entries = 0;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const info = await traceInfo(path);
    passMs.push(performance.now() - started);
    entries = info.dirtyings;
  }
  const fileBytes = statSync(path).size;
  const medianMs = median(passMs);
  return { path, fileBytes, entries, rounds, passMs, medianMs, MBps: fileBytes / 1e6 / (medianMs / 1e3), entriesPerSecond: entries / (medianMs / 1e3) };
}
