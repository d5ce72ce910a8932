/**
 * Writes a workload's evolution as a content trace: the initial image as epoch 0, then
 * every `stepMs` an epoch of the pages written in that step (as reported to the dirty
 * tracker, including pages written with unchanged bytes). Replaying the trace gives the same
 * bytes at every step boundary.
 */
import { totalmem } from 'node:os';
import { DirtyBitmap, GuestMemory } from '../memory.js';
import { createWorkload } from '../registry.js';
import { type TraceSummary, writeTrace } from './writer.js';
import type { Workload } from '../workload.js';

/** Longest simulated time a synthesis may cover, and the most epochs it may write. */
export const MAX_SYNTH_DURATION_MS = 30 * 86_400_000;
export const MAX_SYNTH_EPOCHS = 1_000_000;

export interface SynthesizeOptions {
  out: string;
  spec: string;
  pageCount: number;
  pageSize?: number;
  seed?: number;
  durationMs: number;
  stepMs: number;
  /** Aborting stops after the current epoch; the partial file is removed and nothing is left under `out`. */
  signal?: AbortSignal;
}

/** Thrown when `signal` aborts a synthesis: the output was not written. */
export class SynthesisInterrupted extends Error {
  override name = 'SynthesisInterrupted';
}

/** Lets signal handlers run between epochs (the loop is otherwise synchronous). */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function synthesizeTrace(options: SynthesizeOptions): Promise<TraceSummary> {
  const pageSize = options.pageSize ?? 4096;
  if (!(options.stepMs > 0)) throw new Error(`step must be > 0 ms, got ${options.stepMs}`);
  if (!(options.durationMs >= 0)) throw new Error(`duration must be >= 0 ms, got ${options.durationMs}`);
  if (options.durationMs > MAX_SYNTH_DURATION_MS) throw new Error(`duration ${options.durationMs} ms is beyond the limit of 30 simulated days`);
  const epochs = Math.ceil(options.durationMs / options.stepMs);
  if (epochs > MAX_SYNTH_EPOCHS) throw new Error(`duration ${options.durationMs} ms in steps of ${options.stepMs} ms is ${epochs} epochs, more than the limit of ${MAX_SYNTH_EPOCHS}: use a longer step`);
  const imageBytes = options.pageCount * pageSize;
  if (!Number.isSafeInteger(options.pageCount) || options.pageCount < 1) throw new Error(`page count must be a whole number >= 1, got ${options.pageCount}`);
  // The guest image is held in memory while the trace is written.
  if (imageBytes > totalmem() * 0.85) throw new Error(`a ${(imageBytes / 2 ** 30).toFixed(1)} GiB guest image needs that much memory; this machine has ${(totalmem() / 2 ** 30).toFixed(1)} GiB`);
  const workload: Workload = createWorkload(options.spec, { pageCount: options.pageCount, pageSize, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  const memory = new GuestMemory(options.pageCount, pageSize);
  workload.init(memory);
  const dirty = new DirtyBitmap(options.pageCount);
  return writeTrace(
    options.out,
    {
      kind: 'content',
      pageSize,
      pageCount: options.pageCount,
      timeUnit: 'ms',
      source: `pagedelta workload ${workload.spec}`,
      recorder: { workload: workload.spec, seed: workload.seed, stepMs: options.stepMs, durationMs: options.durationMs },
    },
    async (writer) => {
      // Epoch 0: the initial image (zero pages need no entry: a trace starts all zero).
      writer.beginEpoch(0);
      for (let page = 0; page < options.pageCount; page++) {
        const chunk = memory.chunks[page >>> memory.chunkShift]!;
        const offset = (page & memory.chunkMask) * pageSize;
        let zero = true;
        for (let i = offset; i < offset + pageSize; i++) {
          if (chunk[i] !== 0) {
            zero = false;
            break;
          }
        }
        if (!zero) writer.writePage(page, chunk, offset);
      }
      writer.endEpoch();
      const steps = Math.ceil(options.durationMs / options.stepMs - 1e-9);
      for (let step = 1; step <= steps; step++) {
        await yieldToEventLoop();
        if (options.signal?.aborted) throw new SynthesisInterrupted(`interrupted at ${step - 1} of ${steps} epochs; nothing was written to ${options.out}`);
        const time = Math.min(options.durationMs, step * options.stepMs);
        workload.advance(memory, time, dirty);
        writer.beginEpoch(time);
        for (let page = 0; page < options.pageCount; page++) {
          if (dirty.bits[page] === 0) continue;
          writer.writePage(page, memory.chunks[page >>> memory.chunkShift]!, (page & memory.chunkMask) * pageSize);
        }
        writer.endEpoch();
        dirty.clearAll();
      }
    },
  );
}
