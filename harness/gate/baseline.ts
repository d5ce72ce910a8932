/** Baseline files: reading and checking one, writing one, merging runs from several processes. */
import { readFileSync } from 'node:fs';
import { GATE_VERSION, type GateMeasurement } from './measurement.js';

/**
 * One baseline from several runs of the suite, each in its own process. Exact figures must agree
 * (they are deterministic); each throughput ratio is the slowest run's. On this VM a timing
 * figure can settle in a slower state for a whole process (re-measuring in the same process does
 * not leave it), so the baseline records that slower state and only a slowdown beyond it fails.
 */
export function mergeBaselines(runs: GateMeasurement[]): GateMeasurement {
  const first = runs[0];
  if (first === undefined) throw new Error('no gate runs to merge');
  const exactKeys = Object.keys(first.exact).sort().join('\n');
  const ratioKeys = Object.keys(first.ratios).sort().join('\n');
  for (const run of runs.slice(1)) {
    if (Object.keys(run.exact).sort().join('\n') !== exactKeys || Object.keys(run.ratios).sort().join('\n') !== ratioKeys) {
      throw new Error('gate runs measured different figures; cannot merge them');
    }
    for (const [key, value] of Object.entries(first.exact)) {
      if (run.exact[key] !== value) throw new Error(`gate runs disagree on the exact figure ${key}: ${String(value)} vs ${String(run.exact[key])}`);
    }
  }
  const ratios: Record<string, number> = {};
  for (const key of Object.keys(first.ratios)) ratios[key] = Math.min(...runs.map((run) => run.ratios[key]!));
  const { samples: _samples, ...rest } = first;
  return { ...rest, ratios };
}

/** Reads and checks a baseline file. */
export function readBaseline(path: string): GateMeasurement {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read baseline ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)} (create it with gate --update)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`baseline ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const record = value as Partial<GateMeasurement>;
  if (!record || typeof record !== 'object' || record.version !== GATE_VERSION || typeof record.exact !== 'object' || typeof record.ratios !== 'object') {
    throw new Error(`baseline ${path} is not a gate baseline of version ${GATE_VERSION} (regenerate it with gate --update)`);
  }
  return record as GateMeasurement;
}

/** The baseline file's text: stable key order, samples left out (they are noise). */
export function formatBaseline(measurement: GateMeasurement): string {
  const sorted = (record: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]]));
  const { samples: _samples, ...rest } = measurement;
  const ratios = Object.fromEntries(Object.entries(rest.ratios).map(([key, value]) => [key, Number(value.toPrecision(4))]));
  return `${JSON.stringify({ ...rest, exact: sorted(rest.exact), ratios: sorted(ratios) }, null, 2)}\n`;
}
