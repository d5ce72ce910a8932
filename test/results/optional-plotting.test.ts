// Plotting packages are optional: without vega the core runs, and a plot fails in one line
// naming the packages to install (a module hook makes them unresolvable in a child process).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HIDE_PLOTTING = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  if (/^(vega|vega-lite|@resvg\\\\/resvg-js)$/.test(specifier)) {
    const error = new Error('Cannot find package ' + specifier);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}\`));
`)}`;

const SCRIPT = `
const { buildFigure, renderSvg } = await import('./dist/results/plots.js');
const { simulateMigration } = await import('./dist/harness/migration/simulate.js');
const result = simulateMigration({ workload: 'idle', ramBytes: 1 << 20 });
process.stdout.write('migrated ' + result.verified + '\\n');
try { await renderSvg({ name: 'x', title: 'x', spec: {} }); } catch (error) { process.stdout.write(error.message + '\\n'); }
`;

describe('optional plotting', () => {
  it('vega, vega-lite and resvg are optionalDependencies', () => {
    expect(Object.keys(pkg.optionalDependencies ?? {}).sort()).toEqual(['@resvg/resvg-js', 'vega', 'vega-lite']);
    expect(Object.keys(pkg.dependencies)).not.toContain('vega');
  });

  it('without them the core runs and a plot fails with one line naming them', () => {
    const child = spawnSync(process.execPath, ['--import', HIDE_PLOTTING, '--input-type=module', '-e', SCRIPT], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
    expect(child.stdout.split('\n')).toEqual([
      'migrated true',
      'plotting needs the optional packages vega, vega-lite and @resvg/resvg-js (npm install vega vega-lite @resvg/resvg-js); tables and JSON work without them',
      '',
    ]);
  });
});
