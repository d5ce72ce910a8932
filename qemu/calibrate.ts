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
  return { kernelPages: ram.normal ?? 0, ramTotal: Number((run.final.ram as Record<string, number> | undefined)?.total ?? 0) };
}
