/**
 * A worker thread of the experiment runner: receives cells, runs them, posts the metrics.
 * Stateless between cells, so results do not depend on which worker ran which cell.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { deltaAddon } from '../../codecs/native.js';
import { runCell } from './cells.js';
import type { CellParams, ExperimentSettings } from './experiment.js';

export interface CellRequest {
  id: number;
  params: CellParams;
  settings: ExperimentSettings;
}

export type CellResponse =
  | { id: number; ok: true; metrics: Record<string, unknown>; wallMs: number }
  | { id: number; ok: false; error: string };

/** What the runner tells each worker when it starts it. */
export interface CellWorkerData {
  /** Threads the native XOR+LZ4 kernel may use to read a trace (deltaAddon.xorLz4Threads). */
  traceDecodeThreads: number;
}

if (parentPort) {
  const port = parentPort;
  const data = workerData as CellWorkerData | undefined;
  if (data?.traceDecodeThreads !== undefined) deltaAddon?.xorLz4Threads(data.traceDecodeThreads);
  port.on('message', (request: CellRequest) => {
    const started = performance.now();
    runCell(request.params, request.settings).then(
      (metrics) => port.postMessage({ id: request.id, ok: true, metrics, wallMs: performance.now() - started } satisfies CellResponse),
      (error: unknown) =>
        port.postMessage({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies CellResponse),
    );
  });
}
