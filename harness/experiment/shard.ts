/** Shards of an experiment (`--shard I/N`) and the id that tells runs apart. */
import { createHash } from 'node:crypto';
import type { Cell } from './experiment.js';

/** `--shard i/n`: cells whose index is i-1 modulo n (1-based i). */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : Number.NaN;
  const count = match ? Number(match[2]) : Number.NaN;
  if (!match || count < 1 || index < 1 || index > count) {
    throw new Error(`--shard must be I/N with 1 <= I <= N (e.g. 2/8), got "${text}"`);
  }
  return { index, count };
}

export function shardCells(cells: Cell[], shard: { index: number; count: number } | undefined): Cell[] {
  if (!shard) return cells;
  return cells.filter((cell) => cell.index % shard.count === shard.index - 1);
}

/** A hash identifying the experiment's cells (rows carry it so merges can tell runs apart). */
export function experimentId(cells: Cell[]): string {
  const hash = createHash('sha256');
  for (const cell of cells) hash.update(cell.key);
  return hash.digest('hex').slice(0, 12);
}
