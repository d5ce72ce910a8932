/**
 * The HTML report in a real headless browser (Debian's chromium, installed by .ci/run): it
 * loads offline from a file:// URL, and the DOM the browser built holds the tables and plots.
 * Skipped, with a note, where chromium is not installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../harness/experiment/experiment.js';
import { runExperiment } from '../../harness/experiment/runner.js';
import { buildReport } from '../../results/report.js';
import { temporaryDirectory } from '../temporary-directory.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
if (!CHROMIUM) console.warn('report-browser.test.ts: chromium not installed (apt-get install chromium); browser checks skipped');

function chromium(dir: string, ...args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(
    CHROMIUM!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // Offline: every host name fails to resolve.
      '--host-resolver-rules=MAP * ~NOTFOUND',
      `--user-data-dir=${mkdtempSync(join(dir, 'profile-'))}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000 },
  );
}

describe.skipIf(!CHROMIUM)('HTML report in headless chromium', () => {
  it('loads offline with its tables and plots, and renders a non-blank page', async () => {
    const dir = temporaryDirectory('pagedelta-report-');
    const experiment = parseExperiment({
      name: 'browser-check',
      kinds: ['codec'],
      codecs: ['xbzrle', 'xor-lz4'],
      scenarios: ['SPARSE', 'DENSE'],
      settings: { codecPages: 32, codecTimeMs: 5 },
    });
    const { rows } = await runExperiment(experiment, { workers: 0 });
    const report = await buildReport(rows);
    const html = join(dir, 'report.html');
    writeFileSync(html, report.html);

    const dom = chromium(dir, '--dump-dom', `file://${html}`);
    expect(dom.status).toBe(0);
    const text = String(dom.stdout);
    expect(text).toContain('pagedelta report: browser-check');
    expect((text.match(/<table>/g) ?? []).length).toBe(report.tables.length);
    expect((text.match(/<svg /g) ?? []).length).toBe(report.figures.length);
    expect(text).toMatch(/<td>xbzrle<\/td>/);

    const screenshot = join(dir, 'report.png');
    const shot = chromium(dir, '--window-size=1200,1400', `--screenshot=${screenshot}`, `file://${html}`);
    expect(shot.status).toBe(0);
    const png = readFileSync(screenshot);
    expect([...png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    // A blank white page compresses to a few kB; text, tables and a plot do not.
    expect(png.length).toBeGreaterThan(30_000);
  });
});
