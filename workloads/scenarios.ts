/**
 * The step/len change patterns of the 2011 codec table and the canonical page pairs built
 * from them (docs/reference.md): every `step` bytes, `len` consecutive bytes
 * of the page are incremented by 1 (mod 256), so exactly those bytes differ.
 */
import { SplitMix64 } from './splitmix64.js';

export interface Scenario {
  readonly name: string;
  readonly step: number;
  readonly len: number;
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'SPARSE', step: 1111, len: 12 },
  { name: 'MEDIUM', step: 701, len: 33 },
  { name: 'DENSE', step: 203, len: 41 },
  { name: 'VERY-DENSE', step: 121, len: 43 },
];

/** Seed of the canonical old-page stream. */
export const CANONICAL_SEED = 20110706;

/** Looks a scenario up by name (case-insensitive), or parses `step/len`, e.g. `512/8`. */
export function getScenario(name: string): Scenario {
  const known = SCENARIOS.find((scenario) => scenario.name.toLowerCase() === name.toLowerCase());
  if (known) return known;
  const match = /^(\d+)\/(\d+)$/.exec(name);
  if (match) {
    const step = Number(match[1]);
    const len = Number(match[2]);
    if (step >= 1 && len >= 1 && len <= step) return { name, step, len };
  }
  throw new Error(
    `unknown scenario "${name}"; valid: ${SCENARIOS.map((scenario) => scenario.name).join(', ')}, or STEP/LEN with 1 <= LEN <= STEP`,
  );
}

/** Applies the scenario's change to `page` in place. */
export function applyScenario(page: Uint8Array, scenario: Scenario): void {
  const { step, len } = scenario;
  for (let start = 0; start < page.length; start += step) {
    const end = Math.min(start + len, page.length);
    for (let i = start; i < end; i++) page[i] = (page[i]! + 1) & 0xff;
  }
}

/**
 * `pageCount` canonical page pairs: old pages are the splitmix64 stream (page p = stream
 * bytes [p*pageSize, (p+1)*pageSize)), new pages are old with the scenario applied.
 */
export function canonicalPagePairs(
  scenario: Scenario,
  pageCount: number,
  pageSize = 4096,
  seed: number = CANONICAL_SEED,
): { oldPages: Uint8Array; newPages: Uint8Array } {
  const oldPages = canonicalOldPages(pageCount, pageSize, seed);
  return { oldPages, newPages: scenarioPages(oldPages, scenario, pageSize) };
}

/** The canonical old pages: `pageCount` pages of the splitmix64 stream. */
export function canonicalOldPages(pageCount: number, pageSize = 4096, seed: number = CANONICAL_SEED): Uint8Array {
  const oldPages = new Uint8Array(pageCount * pageSize);
  new SplitMix64(seed).fill(oldPages);
  return oldPages;
}

/** A copy of `oldPages` with the scenario applied to every page. */
export function scenarioPages(oldPages: Uint8Array, scenario: Scenario, pageSize = 4096): Uint8Array {
  const newPages = oldPages.slice();
  for (let offset = 0; offset < newPages.length; offset += pageSize) {
    applyScenario(newPages.subarray(offset, offset + pageSize), scenario);
  }
  return newPages;
}
