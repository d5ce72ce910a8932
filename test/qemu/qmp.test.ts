// The QMP client against an in-process fake QMP server on a unix socket.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient, QmpError } from '../../qemu/qmp.js';

interface Fake {
  path: string;
  server: Server;
  received: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A fake QMP server: greets, answers by `reply(command)`; each line it receives is recorded. */
function fakeQmp(reply: (command: Record<string, unknown>, socket: Socket) => string | null, greeting = true): Promise<Fake> {
  const folder = mkdtempSync(join(tmpdir(), 'pd-qmp-test-'));
  const path = join(folder, 'qmp.sock');
  const received: Record<string, unknown>[] = [];
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    if (greeting) socket.write(`${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: 'Debian' }, capabilities: [] } })}\r\n`);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const command = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
        buffer = buffer.slice(newline + 1);
        received.push(command);
        const answer = reply(command, socket);
        if (answer !== null) socket.write(answer);
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(path, () =>
      resolve({
        path,
        server,
        received,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => {
              rmSync(folder, { recursive: true, force: true });
              done();
            });
          }),
      }),
    ),
  );
}

const ok = (command: Record<string, unknown>, value: unknown = {}): string => `${JSON.stringify({ return: value, id: command.id })}\r\n`;

let fake: Fake | undefined;
let client: QmpClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await fake?.close();
  fake = undefined;
});

describe('QmpClient', () => {
  it('negotiates capabilities, then matches replies to commands by id and keeps events', async () => {
    fake = await fakeQmp((command, socket) => {
      if (command.execute === 'query-migrate') {
        // An event and a stray reply arrive first, in the same chunk as the real answer.
        socket.write(`{"event": "MIGRATION", "data": {"status": "active"}, "timestamp": {"seconds": 1, "microseconds": 2}}\n{"return": {}, "id": "nobody"}\n`);
        return ok(command, { status: 'active', ram: { transferred: 4096 } });
      }
      return ok(command);
    });
    client = await QmpClient.connect(fake.path);
    expect(client.greeting).toEqual({ qemu: { major: 7, minor: 2, micro: 22 }, package: 'Debian' });
    const info = await client.execute<{ status: string; ram: { transferred: number } }>('query-migrate');
    expect(info).toEqual({ status: 'active', ram: { transferred: 4096 } });
    await client.execute('migrate-set-parameters', { 'max-bandwidth': 33554432 });
    expect(fake.received.map((command) => command.execute)).toEqual(['qmp_capabilities', 'query-migrate', 'migrate-set-parameters']);
    expect(fake.received[2]).toMatchObject({ arguments: { 'max-bandwidth': 33554432 } });
    expect(new Set(fake.received.map((command) => command.id)).size).toBe(3);
    expect(client.events).toEqual([{ event: 'MIGRATION', data: { status: 'active' }, timestamp: { seconds: 1, microseconds: 2 } }]);
  });

  it('turns a QMP error into one line naming its class and description', async () => {
    fake = await fakeQmp((command) =>
      command.execute === 'migrate' ? `${JSON.stringify({ error: { class: 'GenericError', desc: 'Failed to connect' }, id: command.id })}\n` : ok(command),
    );
    client = await QmpClient.connect(fake.path);
    await expect(client.execute('migrate', { uri: 'tcp:127.0.0.1:1' })).rejects.toThrow(/^QMP GenericError: Failed to connect$/);
  });

  it('a reply split across writes is reassembled', async () => {
    fake = await fakeQmp((command, socket) => {
      if (command.execute !== 'query-version') return ok(command);
      const text = ok(command, { package: 'split' });
      socket.write(text.slice(0, 7));
      setTimeout(() => socket.write(text.slice(7)), 20);
      return null;
    });
    client = await QmpClient.connect(fake.path);
    expect(await client.execute('query-version')).toEqual({ package: 'split' });
  });

  it('rejects pending commands when the server goes away, and times out a silent server', async () => {
    fake = await fakeQmp((command, socket) => {
      if (command.execute === 'quit') socket.destroy();
      return command.execute === 'qmp_capabilities' ? ok(command) : null;
    });
    client = await QmpClient.connect(fake.path, { commandTimeoutMs: 300 });
    await expect(client.execute('query-status')).rejects.toThrow(/no reply within 300 ms/);
    await expect(client.execute('quit')).rejects.toBeInstanceOf(QmpError);
    await expect(client.execute('query-status')).rejects.toThrow(/closed/);
  });

  it('gives up connecting to a socket that never appears, with one line', async () => {
    const path = join(tmpdir(), `pd-qmp-missing-${process.pid}.sock`);
    await expect(QmpClient.connect(path, { timeoutMs: 200 })).rejects.toThrow(/^cannot connect to QMP socket .*missing.*ENOENT/);
  });

  it('a server that never greets is reported', async () => {
    fake = await fakeQmp(() => null, false);
    await expect(QmpClient.connect(fake.path, { commandTimeoutMs: 200 })).rejects.toThrow(/no QMP greeting/);
  });
});
