/** A gate run compared with the baseline, figure by figure: exact figures equal, ratios within tolerance. */
import { DEFAULT_TOLERANCES, type GateMeasurement, type GateTolerances } from './measurement.js';

export type GateVerdict = 'ok' | 'warn' | 'FAIL' | 'new';

export interface GateFigure {
  figure: string;
  kind: 'exact' | 'ratio';
  baseline: number | string | boolean | null;
  current: number | string | boolean | null;
  /** Relative change of a ratio (current / baseline - 1); null for exact figures. */
  change: number | null;
  verdict: GateVerdict;
  note: string;
}

export interface GateReport {
  figures: GateFigure[];
  failed: number;
  warned: number;
  passed: boolean;
}

/** Compares a run with the baseline, figure by figure. */
export function compareGate(baseline: GateMeasurement, current: GateMeasurement, tolerances: GateTolerances = baseline.tolerances ?? DEFAULT_TOLERANCES): GateReport {
  const figures: GateFigure[] = [];
  const exactNames = [...new Set([...Object.keys(baseline.exact), ...Object.keys(current.exact)])].sort();
  for (const name of exactNames) {
    const had = Object.hasOwn(baseline.exact, name);
    const has = Object.hasOwn(current.exact, name);
    const before = had ? baseline.exact[name]! : null;
    const now = has ? current.exact[name]! : null;
    let verdict: GateVerdict = 'ok';
    let note = 'matches exactly';
    if (!had) {
      verdict = 'new';
      note = 'not in the baseline (run gate --update to record it)';
    } else if (!has) {
      verdict = 'FAIL';
      note = 'missing from this run';
    } else if (before !== now) {
      verdict = 'FAIL';
      note = 'deterministic figure changed';
    }
    figures.push({ figure: name, kind: 'exact', baseline: before, current: now, change: null, verdict, note });
  }
  const ratioNames = [...new Set([...Object.keys(baseline.ratios), ...Object.keys(current.ratios)])].sort();
  for (const name of ratioNames) {
    const had = Object.hasOwn(baseline.ratios, name);
    const has = Object.hasOwn(current.ratios, name);
    const before = had ? baseline.ratios[name]! : null;
    const now = has ? current.ratios[name]! : null;
    let verdict: GateVerdict = 'ok';
    let note = '';
    let change: number | null = null;
    if (before === null) {
      verdict = 'new';
      note = 'not in the baseline (run gate --update to record it)';
    } else if (now === null) {
      verdict = 'FAIL';
      note = 'missing from this run';
    } else {
      change = now / before - 1;
      const slowdown = -change;
      if (slowdown > tolerances.fail) {
        verdict = 'FAIL';
        note = `${(100 * slowdown).toFixed(1)}% slower relative to XOR (fails beyond ${(100 * tolerances.fail).toFixed(0)}%)`;
      } else if (slowdown > tolerances.warn) {
        verdict = 'warn';
        note = `${(100 * slowdown).toFixed(1)}% slower relative to XOR (warns beyond ${(100 * tolerances.warn).toFixed(0)}%)`;
      } else {
        note = change > tolerances.fail ? `${(100 * change).toFixed(1)}% faster: consider gate --update` : 'within tolerance';
      }
    }
    figures.push({ figure: name, kind: 'ratio', baseline: before, current: now, change, verdict, note });
  }
  const failed = figures.filter((figure) => figure.verdict === 'FAIL').length;
  const warned = figures.filter((figure) => figure.verdict === 'warn').length;
  return { figures, failed, warned, passed: failed === 0 };
}
