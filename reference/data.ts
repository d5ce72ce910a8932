/**
 * Data files shipped with the repository and the package (data/, described in data/README.md),
 * found relative to this module so that a checkout, its build and an installed package all
 * read the same copy.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The CloudPhysics block-I/O access trace (113,872 requests, one key per line). */
export const CLOUDPHYSICS_TRACE = 'cloudphysics-io.keys';

/** Absolute path of data/NAME (this module runs from reference/ as source, dist/reference/ built). */
export function dataPath(name: string): string {
  const up = import.meta.url.endsWith('.ts') ? '../data/' : '../../data/';
  return fileURLToPath(new URL(up + name, import.meta.url));
}

/** data/NAME if it is present, else null (a package trimmed of its data). */
export function findDataFile(name: string): string | null {
  const path = dataPath(name);
  return existsSync(path) ? path : null;
}
