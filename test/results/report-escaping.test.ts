import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../harness/experiment/experiment.js';
import { runExperiment } from '../../harness/experiment/runner.js';
import { buildReport } from '../../results/report.js';

describe('report: user text is escaped in Markdown as in HTML', () => {
  it('an experiment name with <script> never reaches either page as markup', async () => {
    const experiment = parseExperiment({
      name: 'x<script>alert(1)</script>&y',
      kinds: ['codec'],
      codecs: ['xbzrle'],
      scenarios: ['SPARSE'],
      settings: { codecPages: 16, codecTimeMs: 5 },
    });
    const { rows } = await runExperiment(experiment, { workers: 0 });
    const report = await buildReport(rows);
    for (const page of [report.markdown, report.html]) {
      expect(page).not.toContain('<script>');
      expect(page).toContain('x&lt;script&gt;alert(1)&lt;/script&gt;&amp;y');
    }
  });
});
