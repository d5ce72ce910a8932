// The repository stands alone: its data is in data/ with a stated sha256, and no tracked file
// points at a folder outside the repository.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLOUDPHYSICS_TRACE, dataPath, findDataFile } from '../../reference/data.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('data/', () => {
  it('ships the CloudPhysics trace with the sha256 data/README.md states', () => {
    const readme = readFileSync(new URL('../../data/README.md', import.meta.url), 'utf8');
    const stated = /`cloudphysics-io\.keys` \|[^|]*\| `([0-9a-f]{64})` \|/.exec(readme)?.[1];
    expect(stated).toMatch(/^[0-9a-f]{64}$/);
    const actual = createHash('sha256').update(readFileSync(dataPath(CLOUDPHYSICS_TRACE))).digest('hex');
    expect(actual).toBe(stated);
    expect(findDataFile(CLOUDPHYSICS_TRACE)).toBe(dataPath(CLOUDPHYSICS_TRACE));
    expect(findDataFile('no-such-file.keys')).toBeNull();
  });

  it('no tracked file refers to a folder outside the repository', () => {
    const listed = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
    expect(listed.status).toBe(0);
    const files = listed.stdout.split('\0').filter((file) => file !== '' && !file.startsWith('data/') && file !== 'package-lock.json');
    expect(files.length).toBeGreaterThan(50);
    // Spelled in pieces so that this file does not match itself.
    const outside = new RegExp(['\\.\\./', 'shared', '|', '/', 'work/'].join(''));
    const offenders = files.filter((file) => outside.test(readFileSync(`${ROOT}${file}`, 'latin1')));
    expect(offenders).toEqual([]);
  });
});
