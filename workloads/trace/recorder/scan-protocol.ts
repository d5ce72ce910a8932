/** Messages between the recorder's main thread and its scanning threads (scan-worker.ts). */
export const PAGE_BYTES = 4096;
/** Bytes read from /proc/PID/mem per read call (and compared with one native compare). */
export const CHUNK_BYTES = 4 << 20;
/** Pages a scanning thread stages before handing them over. */
export const STAGING_PAGES = 2048;
/** A task is six numbers: address, pages, shadow index, shadow byte offset, first trace page, mode (TASK_*). */
export const TASK_FIELDS = 6;
/** Read the pages, record those whose bytes changed. */
export const TASK_CONTENT = 0;
/** Soft-dirty pages: read them, record every one (unchanged bytes as rewritten). */
export const TASK_DIRTY = 1;
/** Pages the kernel holds no data for (they read as zeros): not read; those whose copy is non-zero are recorded as zeroed. */
export const TASK_ABSENT = 2;

/** Staged entry kinds: bytes changed; changed to all zeros; written (soft-dirty) with the same bytes. */
export const ENTRY_CHANGED = 0;
export const ENTRY_ZERO = 1;
export const ENTRY_REWRITTEN = 2;

export interface WorkerSetup {
  type: 'setup';
  /** STAGING_PAGES pages of XOR deltas. */
  staging: SharedArrayBuffer;
  /** Float64 trace page numbers of the staged entries. */
  pages: SharedArrayBuffer;
  /** Uint8 entry kinds. */
  kinds: SharedArrayBuffer;
  /** Int32[1]: 0 while a batch is being encoded, 1 once drained. */
  control: SharedArrayBuffer;
}

export interface ShadowMessage {
  type: 'shadow';
  index: number;
  buffer: SharedArrayBuffer;
}

export interface ScanRequest {
  type: 'scan';
  pid: number;
  tasks: number[];
}

export type ScanReply =
  | { type: 'ready' }
  | { type: 'batch'; count: number }
  | { type: 'done'; bytesRead: number; unreadablePages: number; gone: boolean; error?: string };
