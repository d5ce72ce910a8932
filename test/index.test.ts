// The package's exports resolve by name (Node's self-reference through package.json "exports",
// as a user's `import 'pagedelta/codecs'` would), in a child process so Node resolves them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function exportsOf(specifier: string): string[] {
  const script = `const m = await import(${JSON.stringify(specifier)}); process.stdout.write(JSON.stringify(Object.keys(m).sort()));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (child.status !== 0) throw new Error(child.stderr.split('\n').find((line) => /Error/.test(line)) ?? child.stderr);
  return JSON.parse(child.stdout) as string[];
}

describe('package exports', () => {
  it('the main export is small: one or two entry points per concept', () => {
    const names = exportsOf('pagedelta');
    expect(names.length).toBeLessThanOrEqual(30);
    expect(names).toEqual(expect.arrayContaining(['getCodec', 'createCache', 'createWorkload', 'simulateMigration', 'runExperiment', 'readResults', 'parseSize']));
    // Gate internals and a second parseSize meaning are gone from it.
    expect(names).not.toContain('compareGate');
    expect(names).not.toContain('formatBaseline');
  });

  it.each([
    ['pagedelta/codecs', ['getCodec', 'registerCodec', 'defineCodec', 'CodecError', 'codecThroughput']],
    ['pagedelta/caches', ['createCache', 'registerCachePolicy', 'BaseCache', 'simulateCaches', 'splitSpecs']],
    ['pagedelta/workloads', ['createWorkload', 'registerWorkload', 'Generator', 'ParamReader', 'readTrace', 'SCENARIOS']],
    ['pagedelta/migration', ['simulateMigration', 'MIGRATION_DEFAULTS', 'CPU_MODEL_TABLE', 'migrationTables']],
    ['pagedelta/experiment', ['parseExperiment', 'runExperiment', 'expandCells', 'shardCells']],
    ['pagedelta/results', ['metricTable', 'renderTable', 'buildFigure', 'readResults']],
  ])('%s resolves and exports its concept', (specifier, expected) => {
    expect(exportsOf(specifier)).toEqual(expect.arrayContaining(expected));
  });

  it('an internal path is not exported', () => {
    expect(() => exportsOf('pagedelta/dist/harness/gate/gate.js')).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED|not exported/);
  });
});
