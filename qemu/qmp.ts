/**
 * A small QMP client: JSON objects, one a line, over a unix socket. QEMU greets with
 * {"QMP": ...}; the client answers with qmp_capabilities, then sends one command at a time
 * with an id and waits for the {"return"} or {"error"} carrying that id. Asynchronous
 * {"event"} lines are kept in `events`.
 */
import { connect, type Socket } from 'node:net';

export class QmpError extends Error {
  override name = 'QmpError';
}

export interface QmpEvent {
  event: string;
  data?: unknown;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  id: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class QmpClient {
  readonly events: QmpEvent[] = [];
  /** The greeting's QMP.version object. */
  greeting: unknown;
  private buffer = '';
  private pending: Pending | undefined;
  private nextId = 1;
  private closed = false;
  private closeReason = 'the QMP connection closed';

  private constructor(
    private readonly socket: Socket,
    private readonly commandTimeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (error) => this.shut(`QMP socket error: ${error.message}`));
    socket.on('close', () => this.shut('the QMP connection closed'));
  }

  /**
   * Connects to `path`, retrying until `timeoutMs` while the socket does not exist yet (QEMU
   * creates it shortly after start), reads the greeting and negotiates capabilities.
   */
  static async connect(path: string, options: { timeoutMs?: number; commandTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<QmpClient> {
    const deadline = Date.now() + (options.timeoutMs ?? 10000);
    for (;;) {
      if (options.signal?.aborted) throw new QmpError('interrupted while connecting to QMP');
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const attempt = connect(path);
          attempt.once('connect', () => resolve(attempt));
          attempt.once('error', reject);
        });
        const client = new QmpClient(socket, options.commandTimeoutMs ?? 10000);
        client.greeting = await client.waitGreeting();
        await client.execute('qmp_capabilities');
        return client;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code === 'ENOENT' || code === 'ECONNREFUSED') && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        if (error instanceof QmpError) throw error;
        throw new QmpError(`cannot connect to QMP socket ${path}: ${(error as Error).message}`);
      }
    }
  }

  private greetingWaiter: ((value: unknown) => void) | undefined;
  private greetingReject: ((error: Error) => void) | undefined;

  private waitGreeting(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new QmpError('no QMP greeting within the time limit')), this.commandTimeoutMs);
      this.greetingWaiter = (value) => {
        clearTimeout(timer);
        resolve(value);
      };
      this.greetingReject = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      if (this.greeting !== undefined) this.greetingWaiter(this.greeting);
    });
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    for (let newline = this.buffer.indexOf('\n'); newline >= 0; newline = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line.length === 0) continue;
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.shut(`QMP sent a line that is not JSON: ${line.slice(0, 80)}`);
        return;
      }
      if ('QMP' in message) {
        this.greeting = (message.QMP as { version?: unknown }).version ?? message.QMP;
        this.greetingWaiter?.(this.greeting);
      } else if ('event' in message) {
        this.events.push(message as unknown as QmpEvent);
      } else if ('return' in message || 'error' in message) {
        const pending = this.pending;
        if (!pending || message.id !== pending.id) continue; // a reply to nobody: ignore
        this.pending = undefined;
        clearTimeout(pending.timer);
        if ('error' in message) {
          const error = message.error as { class?: string; desc?: string };
          pending.reject(new QmpError(`QMP ${error.class ?? 'error'}: ${error.desc ?? JSON.stringify(error)}`));
        } else {
          pending.resolve(message.return);
        }
      }
    }
  }

  private shut(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.greetingReject?.(new QmpError(reason));
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(new QmpError(reason));
    }
  }

  /** Runs one command and returns its "return" value; a QMP error becomes a QmpError. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new QmpError(this.closeReason));
    if (this.pending) return Promise.reject(new QmpError(`QMP command ${command} sent while ${this.pending.id} is outstanding`));
    const id = `pd-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new QmpError(`QMP command ${command} got no reply within ${this.commandTimeoutMs} ms`));
      }, this.commandTimeoutMs);
      this.pending = { id, resolve: resolve as (value: unknown) => void, reject, timer };
      this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  }

  close(): void {
    this.shut('the QMP connection was closed by the client');
    this.socket.destroy();
  }
}
