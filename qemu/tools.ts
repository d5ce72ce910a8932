/**
 * What the harness needs on the host, found with one clear line when missing: QEMU, gcc, a
 * Linux kernel image (Debian's, unpacked with dpkg-deb into the cache, never installed), and
 * the cache folder the built artefacts live in.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export class QemuSetupError extends Error {
  override name = 'QemuSetupError';
}

export const APT_PACKAGES = 'qemu-system-x86 gcc libc6-dev';
export const INSTALL_HINT = `apt-get install ${APT_PACKAGES}; then "pagedelta qemu install" for the kernel`;

/** The cache folder: PAGEDELTA_CACHE or ~/.cache/pagedelta, then qemu/. */
export function defaultCacheDir(): string {
  return join(process.env.PAGEDELTA_CACHE ?? join(homedir(), '.cache', 'pagedelta'), 'qemu');
}

/** The first executable `name` on `searchPath` (a PATH string), or undefined. */
export function findExecutable(name: string, searchPath: string = process.env.PATH ?? ''): string | undefined {
  for (const folder of searchPath.split(delimiter)) {
    if (folder.length === 0) continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function requireExecutable(name: string, searchPath: string | undefined, packageName: string): string {
  const found = findExecutable(name, searchPath);
  if (!found) throw new QemuSetupError(`${name} not found on PATH (install the Debian package ${packageName}: apt-get install ${packageName})`);
  return found;
}

/** A kernel image: the given path, else the newest vmlinuz unpacked into the cache. */
export function findKernel(cacheDir: string, explicit?: string): string {
  if (explicit !== undefined) {
    if (!existsSync(explicit) || !statSync(explicit).isFile()) throw new QemuSetupError(`kernel image ${explicit} does not exist`);
    return explicit;
  }
  const boot = join(cacheDir, 'kernel', 'root', 'boot');
  const images = existsSync(boot) ? readdirSync(boot).filter((name) => name.startsWith('vmlinuz-')).sort() : [];
  if (images.length === 0) throw new QemuSetupError(`no guest kernel in ${boot} (run "pagedelta qemu install", or pass --kernel FILE)`);
  return join(boot, images[images.length - 1]!);
}

/** KVM when /dev/kvm can be opened for reading and writing, TCG otherwise. */
export function chooseAccelerator(requested: 'auto' | 'kvm' | 'tcg'): 'kvm' | 'tcg' {
  if (requested !== 'auto') return requested;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return 'kvm';
  } catch {
    return 'tcg';
  }
}

/**
 * Fetches Debian's kernel (the package linux-image-amd64 depends on) with apt-get download
 * and unpacks it with dpkg-deb -x into the cache. Returns the vmlinuz path. Nothing is
 * installed on the host. An already unpacked kernel is kept unless `force`.
 */
export function installKernel(cacheDir: string, log: (line: string) => void = () => {}, force = false): string {
  if (!force) {
    try {
      const present = findKernel(cacheDir);
      log(`kernel already unpacked: ${present}`);
      return present;
    } catch {
      // not there yet: fetch it
    }
  }
  const aptCache = requireExecutable('apt-cache', undefined, 'apt');
  const aptGet = requireExecutable('apt-get', undefined, 'apt');
  const dpkgDeb = requireExecutable('dpkg-deb', undefined, 'dpkg');
  let depends: string;
  try {
    depends = execFileSync(aptCache, ['depends', 'linux-image-amd64'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    throw new QemuSetupError('apt-cache knows no linux-image-amd64 (run apt-get update, or pass --kernel FILE)');
  }
  const match = /Depends:\s*(linux-image-[0-9][^\s]*-amd64)/.exec(depends);
  if (!match) throw new QemuSetupError('linux-image-amd64 does not name a linux-image-*-amd64 package (pass --kernel FILE)');
  const packageName = match[1]!;
  const folder = join(cacheDir, 'kernel');
  mkdirSync(folder, { recursive: true });
  log(`downloading ${packageName} into ${folder}`);
  try {
    execFileSync(aptGet, ['download', packageName], { cwd: folder, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim().split('\n').pop();
    throw new QemuSetupError(`apt-get download ${packageName} failed: ${stderr || 'no output'}`);
  }
  const deb = readdirSync(folder).find((name) => name.startsWith(`${packageName}_`) && name.endsWith('.deb'));
  if (!deb) throw new QemuSetupError(`apt-get download left no ${packageName}_*.deb in ${folder}`);
  execFileSync(dpkgDeb, ['-x', join(folder, deb), join(folder, 'root')], { stdio: ['ignore', 'ignore', 'pipe'] });
  return findKernel(cacheDir);
}
