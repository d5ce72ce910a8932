/**
 * The project's own C reference codecs (codecs/reference-c/xbzrle.c: scalar XBZRLE encode and
 * decode, word-at-a-time XBRLE encode), compiled with the system C compiler at benchmark time
 * and driven over the same page pairs as the TypeScript codecs, so that `codecs bench` can
 * print the ratio to C measured in the same run. Where no compiler exists the caller gets a
 * reason to print instead.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The C source, found from the source tree or from dist/. */
export function cReferenceSource(): string {
  for (const relative of ['../codecs/reference-c/xbzrle.c', '../../codecs/reference-c/xbzrle.c']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('codecs/reference-c/xbzrle.c not found beside the harness');
}

export type CompiledReference = { executable: string; compiler: string; dir: string } | { skipped: string };

/**
 * Compiles the reference with `cc` or `gcc` (-O2) into a new temporary directory, which the
 * caller removes with {@link removeCompiled}. Returns a reason instead when no compiler works.
 */
export function compileCReference(): CompiledReference {
  const source = cReferenceSource();
  const tag = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const dir = mkdtempSync(join(tmpdir(), `pagedelta-cref-${tag}-`));
  const executable = join(dir, 'xbzrle-reference');
  const reasons: string[] = [];
  for (const compiler of ['cc', 'gcc']) {
    const result = spawnSync(compiler, ['-O2', '-o', executable, source], { encoding: 'utf8', timeout: 60_000 });
    if (result.status === 0) return { executable, compiler, dir };
    reasons.push(result.error ? `${compiler}: ${(result.error as NodeJS.ErrnoException).code ?? result.error.message}` : `${compiler}: ${result.stderr.trim().split('\n')[0]}`);
  }
  rmSync(dir, { recursive: true, force: true });
  return { skipped: `no working C compiler (${reasons.join('; ')})` };
}

export function removeCompiled(compiled: CompiledReference): void {
  if ('dir' in compiled) rmSync(compiled.dir, { recursive: true, force: true });
}

/** Writes the pairs file the executable reads: old pages, then each scenario's new pages. */
export function writePairsFile(path: string, pageSize: number, oldPages: Uint8Array, newPages: Uint8Array[]): void {
  const header = Buffer.alloc(20);
  header.write('PDPAIRS1', 0, 'latin1');
  header.writeUInt32LE(pageSize, 8);
  header.writeUInt32LE(oldPages.length / pageSize, 12);
  header.writeUInt32LE(newPages.length, 16);
  writeFileSync(path, Buffer.concat([header, oldPages, ...newPages]));
}

/** The C encodings of one scenario of a pairs file: per page, its size (-1, 0 or > 0) and bytes. */
export function dumpCEncodings(executable: string, pairsFile: string, scenario: number, codec: 'xbzrle' | 'xbrle'): { size: number; bytes: Uint8Array }[] {
  const result = spawnSync(executable, ['dump', pairsFile, String(scenario), codec], { maxBuffer: 1 << 30, timeout: 120_000 });
  if (result.status !== 0) throw new Error(`C reference dump failed: ${result.stderr.toString().trim()}`);
  const out = result.stdout;
  const pages: { size: number; bytes: Uint8Array }[] = [];
  for (let at = 0; at < out.length; ) {
    const size = out.readInt32LE(at);
    at += 4;
    const length = size > 0 ? size : 0;
    pages.push({ size, bytes: new Uint8Array(out.subarray(at, at + length)) });
    at += length;
  }
  return pages;
}

export interface CPass {
  encodeMBps: number;
  decodeMBps: number;
  xbrleEncodeMBps: number;
  /** Whole passes over the pool each kernel made (encode, decode, xbrle encode). */
  passes: [number, number, number];
}

/**
 * The executable in `serve` mode: each {@link measure} times whole passes of each C kernel over
 * the pool of one scenario, for at least `minMs` of the child's CPU time each (one pass at 0). The child is stopped by its pid in {@link stop} (and if this process
 * exits first).
 */
export class CReferenceServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly onExit = (): void => this.stop();
  private failure: string | null = null;

  constructor(executable: string, pairsFile: string) {
    this.child = spawn(executable, ['serve', pairsFile], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.waiting.shift()?.(line));
    let stderr = '';
    this.child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    this.child.on('exit', (code) => {
      this.failure = `C reference exited (${code ?? 'signal'}): ${stderr.trim().split('\n')[0] ?? ''}`;
      for (const resolve of this.waiting.splice(0)) resolve('');
    });
    process.once('exit', this.onExit);
  }

  async measure(scenario: number, minMs = 0): Promise<CPass> {
    if (this.failure !== null) throw new Error(this.failure);
    const line = await new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${scenario} ${minMs}\n`);
    });
    const fields = line.trim().split(/\s+/).map(Number);
    if (fields.length !== 7 || fields[0] !== scenario || fields.some((value) => !Number.isFinite(value))) {
      throw new Error(this.failure ?? `C reference answered "${line}" for scenario ${scenario}`);
    }
    return { encodeMBps: fields[1]!, decodeMBps: fields[2]!, xbrleEncodeMBps: fields[3]!, passes: [fields[4]!, fields[5]!, fields[6]!] };
  }

  stop(): void {
    process.removeListener('exit', this.onExit);
    this.lines.close();
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid);
      } catch {
        // already gone
      }
    }
  }
}
