/**
 * Builds the guest: the dirtier (gcc -static -O2) and the initramfs with it as /init, into
 * the cache folder under names keyed by the SHA-256 of their inputs, so a changed source is
 * rebuilt and an unchanged one is reused.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initramfsEntries, writeCpio } from './cpio.js';
import { QemuSetupError, requireExecutable } from './tools.js';

/** The dirtier's C source, from the source tree or next to the compiled module. */
export function dirtierSourcePath(): string {
  const candidates = [new URL('./guest/dirtier.c', import.meta.url), new URL('../../qemu/guest/dirtier.c', import.meta.url)].map((url) => fileURLToPath(url));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new QemuSetupError(`the dirtier source qemu/guest/dirtier.c is missing (looked in ${candidates.join(', ')})`);
  return found;
}

const sha = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex').slice(0, 16);

/** Compiles the dirtier (once per source hash); returns the binary's path. */
export function buildDirtier(cacheDir: string, searchPath?: string): string {
  const source = readFileSync(dirtierSourcePath());
  const folder = join(cacheDir, 'build');
  const binary = join(folder, `dirtier-${sha(source)}`);
  if (existsSync(binary)) return binary;
  const gcc = requireExecutable('gcc', searchPath, 'gcc');
  mkdirSync(folder, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  try {
    execFileSync(gcc, ['-static', '-O2', '-Wall', '-o', partial, dirtierSourcePath()], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim().split('\n');
    const first = stderr.find((line) => /error/.test(line)) ?? stderr[0] ?? 'no output';
    throw new QemuSetupError(`gcc -static could not build the dirtier (is libc6-dev installed?): ${first}`);
  }
  renameSync(partial, binary);
  return binary;
}

/** Writes the initramfs (once per dirtier hash); returns its path. */
export function buildInitramfs(cacheDir: string, dirtier: string): string {
  const init = readFileSync(dirtier);
  const path = join(cacheDir, 'build', `initramfs-${sha(init)}.cpio`);
  if (existsSync(path)) return path;
  mkdirSync(join(cacheDir, 'build'), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, writeCpio(initramfsEntries(init)));
  renameSync(partial, path);
  return path;
}
