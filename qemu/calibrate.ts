/**
 * The guest kernel's own non-zero pages, measured rather than fitted: an idle guest of the same
 * RAM size whose buffer is a single zero page, migrated once at a high max-bandwidth; its
 * `normal` pages at the end of the bulk pass are the kernel's (and QEMU's ROMs') non-zero pages.
 * Passing that figure to compareWithSimulator makes the bulk pass of another run a prediction.
 */
import { bulkPassPoll } from './compare.js';
import { type QemuRunOptions, runQemuMigration } from './run.js';

export interface KernelCalibration {
  kernelPages: number;
  /** QEMU's ram total of the calibration guest. */
  ramTotal: number;
  /**
   * What the migration stream moves when max-bandwidth does not limit it (bytes/s): the
   * calibration run's transferred bytes over its time after setup. QEMU lifts max-bandwidth
   * for the stop-and-copy, so this rate, not the cap, sets the downtime.
   */
  linkBps: number;
  /** QEMU's dirty-pages-rate of the idle guest (pages/s), when it reported one. */
  idleDirtyRate: number | null;
}

export async function calibrateKernelPages(options: Omit<QemuRunOptions, 'workload' | 'bufferBytes' | 'xbzrle' | 'autoConverge'>): Promise<KernelCalibration> {
  const run = await runQemuMigration({
    ...options,
    workload: 'idle:content=zero',
    bufferBytes: 4096,
    xbzrle: false,
    autoConverge: false,
    maxBandwidthBps: 1e9,
    warmupMs: 0,
  });
  const bulk = bulkPassPoll(run);
  const ram = (bulk?.ram ?? {}) as Record<string, number>;
  const finalRam = (run.final.ram ?? {}) as Record<string, number>;
  const total = Number(run.final['total-time'] ?? 0) - Number(run.final['setup-time'] ?? 0);
  const linkBps = total > 0 && finalRam.transferred ? (finalRam.transferred * 1000) / total : 0;
  const dirtyRate = Number(finalRam['dirty-pages-rate']);
  return {
    kernelPages: ram.normal ?? 0,
    ramTotal: Number(finalRam.total ?? 0),
    linkBps,
    idleDirtyRate: Number.isFinite(dirtyRate) && dirtyRate > 0 ? dirtyRate : null,
  };
}
