/**
 * Runs the cells of an experiment on a pool of worker threads (one per core by default) and
 * appends one result row per cell to a JSON Lines file as each finishes. Re-running resumes:
 * cells whose key is already in the file are skipped. Interrupting (an AbortSignal) loses
 * only the cells in flight. Never prints: progress and warnings go to callbacks.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { type FileLock, lockFile } from '../../io/lock-file.js';
import { corruptWarnings, readResults, ResultsAppender, type ResultRow } from '../../results/rows.js';
import { runCell } from './cells.js';
import { checkMigrationCell } from './migration-cell.js';
import type { CellRequest, CellResponse, CellWorkerData } from './cell-worker.js';
import { type Cell, type CellParams, type Experiment, experimentId, expandCells, shardCells } from './experiment.js';

export interface RunProgress {
  /** Cells finished in this run. */
  done: number;
  /** Cells this run has to do (excluding those skipped as already finished). */
  total: number;
  /** Cells skipped because the results file already had them. */
  skipped: number;
  elapsedMs: number;
  /** Estimated time to finish, from the mean time per finished cell; null until one is done. */
  etaMs: number | null;
}

export interface RunOptions {
  /** Results file (JSON Lines); rows are appended and finished cells are skipped. */
  out?: string;
  /** Worker threads; 0 runs the cells in this thread (default: one per core). */
  workers?: number;
  shard?: { index: number; count: number };
  /** Called with each row as its cell finishes (after it is written to `out`). */
  onRow?: (row: ResultRow) => void;
  onProgress?: (progress: RunProgress) => void;
  /** Problems that do not stop the run (corrupt lines in the results file, repairs). */
  onWarning?: (message: string) => void;
  /** Aborting stops dispatching and terminates the workers: only in-flight cells are lost. */
  signal?: AbortSignal;
}

export interface RunSummary {
  /** Cells of the experiment (after sharding). */
  cells: number;
  ran: number;
  skipped: number;
  interrupted: boolean;
  rows: ResultRow[];
}

/** The row of a finished cell: identity, the cell's parameters, then its metrics. */
export function makeRow(experiment: Experiment, id: string, cell: Cell, metrics: Record<string, unknown>, wallMs: number): ResultRow {
  const { kind, ...dimensions } = cell.params;
  return {
    schema: 1,
    experiment: experiment.name,
    experimentId: id,
    cell: cell.key,
    index: cell.index,
    kind,
    ...dimensions,
    ...metrics,
    wallMs: Math.round(wallMs),
  };
}

/** Where the compiled worker lives (from the TypeScript sources in tests: the dist build). */
function workerUrl(): URL {
  const here = new URL(import.meta.url);
  if (here.pathname.endsWith('.ts')) return new URL('../../dist/harness/experiment/cell-worker.js', here);
  return new URL('./cell-worker.js', here);
}

export async function runExperiment(experiment: Experiment, options: RunOptions = {}): Promise<RunSummary> {
  const allCells = expandCells(experiment);
  const id = experimentId(allCells);
  const cells = shardCells(allCells, options.shard);
  for (const cell of cells) {
    if (cell.params.kind !== 'migration') continue;
    try {
      checkMigrationCell(cell.params, experiment.settings);
    } catch (error) {
      throw new Error(`cell ${describeCell(cell.params)}: ${(error as Error).message}`);
    }
  }
  const warn = options.onWarning ?? (() => {});

  const finished = new Set<string>();
  let appender: ResultsAppender | null = null;
  // Taken before the results are read: a second run on the same file would redo every cell.
  const lock: FileLock | null = options.out ? lockFile(options.out) : null;
  try {
    if (options.out) {
      if (existsSync(options.out)) {
        const previous = readResults(options.out);
        // An incomplete last line is repaired (and reported) by the appender below.
        const damaged = previous.corrupt.filter((entry) => !(previous.truncatedTail && entry.line === previous.lastLine));
        for (const message of corruptWarnings(options.out, damaged, 'its cell will be re-run')) warn(message);
        for (const row of previous.rows) finished.add(row.cell);
      }
      appender = new ResultsAppender(options.out);
      if (appender.repairedBytes > 0) {
        warn(`${options.out}: removed an incomplete last line (${appender.repairedBytes} bytes) left by an interrupted run`);
      }
    }
    const todo = cells.filter((cell) => !finished.has(cell.key));
    const skipped = cells.length - todo.length;
    const rows: ResultRow[] = [];
    const started = performance.now();
    const progress = (): void => {
      const elapsedMs = performance.now() - started;
      const done = rows.length;
      options.onProgress?.({
        done,
        total: todo.length,
        skipped,
        elapsedMs,
        etaMs: done > 0 ? (elapsedMs / done) * (todo.length - done) : null,
      });
    };
    const accept = (cell: Cell, metrics: Record<string, unknown>, wallMs: number): void => {
      const row = makeRow(experiment, id, cell, metrics, wallMs);
      appender?.append(row);
      rows.push(row);
      options.onRow?.(row);
      progress();
    };

    progress();
    let interrupted = false;
    try {
      const workers = Math.max(0, Math.min(options.workers ?? availableParallelism(), todo.length));
      if (workers === 0) {
        for (const cell of todo) {
          if (options.signal?.aborted) {
            interrupted = true;
            break;
          }
          const cellStarted = performance.now();
          const metrics = await runCellNamed(cell, experiment);
          accept(cell, metrics, performance.now() - cellStarted);
        }
      } else {
        interrupted = await runOnPool(todo, experiment, workers, accept, options.signal);
      }
    } finally {
      appender?.close();
    }
    return { cells: cells.length, ran: rows.length, skipped, interrupted, rows };
  } finally {
    lock?.release();
  }
}

export function describeCell(params: CellParams): string {
  const { kind, ...rest } = params;
  return `${kind} ${Object.entries(rest)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ')}`;
}

async function runCellNamed(cell: Cell, experiment: Experiment): Promise<Record<string, unknown>> {
  try {
    return await runCell(cell.params, experiment.settings);
  } catch (error) {
    throw new Error(`cell ${cell.index} (${describeCell(cell.params)}) failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Dispatches cells in canonical order to `count` workers; resolves true when aborted. */
function runOnPool(
  cells: Cell[],
  experiment: Experiment,
  count: number,
  accept: (cell: Cell, metrics: Record<string, unknown>, wallMs: number) => void,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  return new Promise((resolvePool, rejectPool) => {
    const url = workerUrl();
    if (!existsSync(url)) {
      rejectPool(new Error(`worker script ${url.pathname} is missing: build first (npx tsc -p tsconfig.json) or use --workers 0`));
      return;
    }
    const pool: Worker[] = [];
    const inFlight = new Map<Worker, Cell>();
    let next = 0;
    let settled = false;
    let failure: Error | null = null;

    const finish = (aborted: boolean): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      for (const worker of pool) void worker.terminate();
      if (failure) rejectPool(failure);
      else resolvePool(aborted);
    };
    const onAbort = (): void => finish(true);
    signal?.addEventListener('abort', onAbort);

    const dispatch = (worker: Worker): void => {
      if (settled) return;
      if (failure || next >= cells.length) {
        inFlight.delete(worker);
        if (inFlight.size === 0) finish(false);
        return;
      }
      const cell = cells[next++]!;
      inFlight.set(worker, cell);
      worker.postMessage({ id: cell.index, params: cell.params, settings: experiment.settings } satisfies CellRequest);
    };

    for (let i = 0; i < count; i++) {
      // Workers running side by side already use the cores: a trace's records are then not
      // split with the addon's helper thread (it would be a thread more than there are cores).
      const worker = new Worker(url, { workerData: { traceDecodeThreads: count > 1 ? 1 : 2 } satisfies CellWorkerData });
      pool.push(worker);
      worker.on('message', (response: CellResponse) => {
        const cell = inFlight.get(worker);
        if (settled || !cell) return;
        if (response.ok) accept(cell, response.metrics, response.wallMs);
        else failure ??= new Error(`cell ${cell.index} (${describeCell(cell.params)}) failed: ${response.error}`);
        dispatch(worker);
      });
      worker.on('error', (error) => {
        const cell = inFlight.get(worker);
        failure ??= new Error(`worker failed${cell ? ` on cell ${cell.index} (${describeCell(cell.params)})` : ''}: ${error.message}`);
        inFlight.delete(worker);
        if (inFlight.size === 0) finish(false);
      });
    }
    if (signal?.aborted) {
      finish(true);
      return;
    }
    for (const worker of pool) dispatch(worker);
  });
}
