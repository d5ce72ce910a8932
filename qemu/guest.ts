/**
 * The guest's workload: a project workload spec, validated by the project's own registry on
 * the dirtier's buffer, turned into the dirtier's kernel command line (pd.KEY=VALUE, plain
 * numbers) and into the simulator's spec for the same buffer placed in guest-physical memory.
 */
import { createWorkload } from '../workloads/registry.js';

export const GUEST_WORKLOADS = ['qemu-age-test', 'hotset', 'uniform', 'idle'] as const;
export type GuestWorkloadName = (typeof GUEST_WORKLOADS)[number];

export interface GuestWorkload {
  name: GuestWorkloadName;
  /** The dirtier's buffer (the workload's region), bytes: a whole number of pages. */
  bufferBytes: number;
  /** Resolved parameters (the registry's describe()), seed included. */
  params: Record<string, string | number | boolean>;
  /** The registry's normalised spec without region and seed. */
  spec: string;
  /** Kernel command-line words for the dirtier. */
  cmdline: string[];
}

const PAGE = 4096;

/**
 * Validates `spec` for a buffer of `bufferBytes` (qemu-age-test: its `mib` is the buffer and
 * `bufferBytes` is ignored). Throws one line naming what is wrong.
 */
export function resolveGuestWorkload(spec: string, bufferBytes: number, seed: number): GuestWorkload {
  const name = spec.split(':')[0]!.trim().toLowerCase() as GuestWorkloadName;
  if (!GUEST_WORKLOADS.includes(name)) throw new Error(`the guest dirtier runs ${GUEST_WORKLOADS.join(', ')}; got workload "${name}"`);
  if (/(^|[:,])\s*region\s*=/.test(spec)) throw new Error('region= is set by the harness (the dirtier owns its buffer); use --buffer for its size');
  if (!Number.isInteger(bufferBytes / PAGE) || bufferBytes <= 0) throw new Error(`buffer size ${bufferBytes} bytes is not a positive whole number of 4096-byte pages`);
  let pages = bufferBytes / PAGE;
  if (name === 'qemu-age-test') {
    // Its buffer is its own mib parameter: resolve it on a memory large enough first.
    const probe = createWorkload(spec, { pageCount: 2 ** 22, seed }).describe();
    pages = Math.ceil((Number(probe.mib) * 1048576) / PAGE);
  }
  const workload = createWorkload(spec, { pageCount: pages, seed });
  const params = workload.describe();
  const cmdline = [`pd.workload=${name}`, `pd.mib=${name === 'qemu-age-test' ? params.mib : (pages * PAGE) / 1048576}`];
  for (const [key, value] of Object.entries(params)) {
    if (key === 'workload' || key === 'mib') continue;
    cmdline.push(`pd.${key}=${key === 'bytes' && value === 'page' ? 0 : value}`);
  }
  return { name, bufferBytes: pages * PAGE, params, spec: workload.spec, cmdline };
}

/**
 * The simulator's spec of the same guest: the workload on pages [first, first + buffer
 * pages), and (when kernelPages > 0) the guest kernel's own non-zero pages as an idle random
 * region at the bottom of memory. The rest of RAM is zero, as a fresh guest's is.
 */
export function simulatorSpec(guest: GuestWorkload, firstPage: number, kernelPages: number): string {
  const [name, rest = ''] = guest.spec.split(/:(.*)/s);
  const parts = [`${name}:region=${firstPage}:${guest.bufferBytes / PAGE}${rest ? `,${rest}` : ''},seed=${guest.params.seed}`];
  if (kernelPages > 0) parts.unshift(`idle:region=0:${kernelPages},content=random,seed=${Number(guest.params.seed) + 1}`);
  return parts.join(' + ');
}
