/**
 * What one client can hold (docs/contract.md, Limits): a slow request, an idle connection, more
 * connections than the cap, a message over the size limit, and 50,000 streams on one HTTP/2
 * connection, each against the built server with small limits, through raw sockets and node:http2 so
 * that the bytes on the wire are the attacker's. The bounds have seconds of margin: they tell "cut by
 * the limit" from "held until the client gives up", they measure no speed.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as connectHttp2, constants as http2, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { connect as connectTcp, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { memoryMiB, resetPeakMemory } from '../support/memory.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { encodeMessage, RawGrpcClient, str } from './support.js';

/** Timeouts are enforced at the next check after they expire (once a second); this is margin on top. */
const MARGIN_MS = 3000;
const CHECK_INTERVAL_MS = 1000;

interface Cut {
  /** Everything the server wrote before closing. */
  received: string;
  /** From the last byte the client sent to the close. */
  afterMs: number;
}

/** Sends `bytes` on a fresh connection, then nothing; resolves when the server closes it, rejects if it is still open after `withinMs`. */
async function sendAndWaitForClose(port: number, bytes: string, withinMs: number): Promise<Cut> {
  const socket = connectTcp(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {}); // a reset is a close too
  await new Promise<void>((resolve) => socket.write(bytes, () => resolve()));
  const sent = performance.now();
  const closed = whenClosed(socket).then(() => ({ received: Buffer.concat(chunks).toString('latin1'), afterMs: performance.now() - sent }));
  const timeout = delay(withinMs, 'open' as const);
  const outcome = await Promise.race([closed, timeout]);
  socket.destroy();
  if (outcome === 'open') assert.fail(`the server still held the connection ${withinMs} ms after the last byte`);
  return outcome;
}

/** Resolves when the socket closes, whether the server ended or reset it. */
function whenClosed(socket: Socket): Promise<'closed'> {
  return new Promise((resolve) => socket.once('close', () => resolve('closed')));
}

/** The status line and LoopBack error code of a raw HTTP answer. */
function parseAnswer(raw: string): { status: number; code: unknown } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  return { status, code: (JSON.parse(body) as { error: { code: unknown } }).error.code };
}

const LOGIN_HEAD = 'POST /api/users/login HTTP/1.1\r\nHost: auth\r\nContent-Type: application/json\r\n';

/** A keep-alive connection that has completed one request; resolves once the answer is in. */
async function openConnection(port: number): Promise<Socket> {
  const socket = connectTcp(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write('GET /healthz HTTP/1.1\r\nHost: auth\r\n\r\n');
  // A connection the server drops unanswered ends without an error: that must not wait for ever.
  const unanswered = once(socket, 'close').then(() => Promise.reject(new Error('closed unanswered')));
  const [chunk] = (await Promise.race([once(socket, 'data'), unanswered])) as [Buffer];
  assert.match(chunk.toString('latin1'), /^HTTP\/1\.1 200 /);
  return socket;
}

/** Whether a new connection gets an answer to GET /healthz, or is closed unanswered. */
async function answered(port: number): Promise<boolean> {
  return openConnection(port).then(
    (socket) => {
      socket.destroy();
      return true;
    },
    () => false,
  );
}

describe('REST: what one client can hold', () => {
  const TIMEOUT_MS = 1000;
  const KEEP_ALIVE_MS = 500;
  const MAX_CONNECTIONS = 4;
  let server: ServerProcess;

  before(async () => {
    server = await startServer({
      HTTP_HEADERS_TIMEOUT_MS: String(TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
      HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    });
  });
  after(() => server.stop());

  test('headers and half a body, then nothing: 408 REQUEST_TIMEOUT and the connection closed at the request timeout', async () => {
    const body = JSON.stringify({ email: 'ann@example.com', password: 'correct horse 1' });
    const half = `${LOGIN_HEAD}Content-Length: ${body.length}\r\n\r\n${body.slice(0, body.length / 2)}`;
    const cut = await sendAndWaitForClose(server.httpPort, half, TIMEOUT_MS + CHECK_INTERVAL_MS + MARGIN_MS);
    assert.deepEqual(parseAnswer(cut.received), { status: 408, code: 'REQUEST_TIMEOUT' });
    assert.match(cut.received, /\r\nconnection: close\r\n/i);
    await server.waitForLog((line) => line.msg === 'connection cut' && line.reason === 'request_timeout');
  });

  test('half the headers, then nothing: 408 and closed at the headers timeout', async () => {
    const cut = await sendAndWaitForClose(server.httpPort, LOGIN_HEAD, TIMEOUT_MS + CHECK_INTERVAL_MS + MARGIN_MS);
    assert.deepEqual(parseAnswer(cut.received), { status: 408, code: 'REQUEST_TIMEOUT' });
  });

  test('a body trickled a byte at a time is cut at the request timeout too', async () => {
    const body = 'x'.repeat(1000);
    const socket = connectTcp(server.httpPort, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write(`${LOGIN_HEAD}Content-Length: ${body.length}\r\n\r\n`);
    const closed = whenClosed(socket);
    const trickle = setInterval(() => socket.write('x'), 100);
    try {
      const outcome = await Promise.race([closed, delay(TIMEOUT_MS + CHECK_INTERVAL_MS + MARGIN_MS, 'open')]);
      assert.equal(outcome, 'closed', 'a client sending a byte every 100 ms kept its request open past the request timeout');
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });

  test("what Node refuses before any route, it answers in LoopBack's shape, then closes", async () => {
    const huge = await sendAndWaitForClose(server.httpPort, `GET /healthz HTTP/1.1\r\nHost: auth\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`, MARGIN_MS);
    assert.deepEqual(parseAnswer(huge.received), { status: 431, code: 'HEADERS_TOO_LARGE' });
    const garbage = await sendAndWaitForClose(server.httpPort, 'HELLO THERE\r\n\r\n', MARGIN_MS);
    assert.deepEqual(parseAnswer(garbage.received), { status: 400, code: 'INVALID_ARGUMENT' });
  });

  test('an idle keep-alive connection is closed at HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const socket = await openConnection(server.httpPort);
    const outcome = await Promise.race([whenClosed(socket), delay(KEEP_ALIVE_MS + MARGIN_MS, 'open')]);
    socket.destroy();
    assert.equal(outcome, 'closed');
  });

  test('HTTP_MAX_CONNECTIONS: the next connection is closed unanswered, and served again once one is released', async () => {
    // One by one, each retried a moment later while the server still counts an earlier test's connection.
    const held: Socket[] = [];
    while (held.length < MAX_CONNECTIONS) {
      for (let attempt = 0; ; attempt++) {
        const socket = await openConnection(server.httpPort).catch((err: unknown) => (attempt < 50 ? undefined : Promise.reject(err)));
        if (socket) {
          held.push(socket);
          break;
        }
        await delay(100);
      }
    }
    try {
      assert.equal(await answered(server.httpPort), false, `connection ${MAX_CONNECTIONS + 1} was served`);
    } finally {
      for (const socket of held) socket.destroy();
    }
    // The server sees the releases a moment later.
    let served = false;
    for (let attempt = 0; attempt < 50 && !served; attempt++) {
      served = await answered(server.httpPort);
      if (!served) await delay(100);
    }
    assert.ok(served, 'no connection was served after the held ones closed');
    const metrics = await (await fetch(`${server.httpUrl}/metrics`, { headers: { connection: 'close' } })).text();
    assert.match(metrics, /^auth_http_connections_cut_total\{reason="connection_limit"\} [1-9]/m);
  });
});

describe('gRPC: what one client can hold', () => {
  let server: ServerProcess;

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  /** auth_grpc_calls_total of Login: every call that reached the handler, whatever its answer. */
  async function loginCallsCounted(): Promise<number> {
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    return [...metrics.matchAll(/^auth_grpc_calls_total\{method="Login",[^}]*\} (\d+)/gm)].reduce((sum, [, n]) => sum + Number(n), 0);
  }

  test('a request over REQUEST_MAX_BYTES (16 KiB) is RESOURCE_EXHAUSTED, and never reaches a handler', async () => {
    const client = new RawGrpcClient(server.grpcAddress);
    try {
      const before = await loginCallsCounted();
      const outcome = await client.call('Login', encodeMessage([str(1, 'ann@example.com'), str(3, 'p'.repeat(17 * 1024))]));
      assert.equal(outcome.err?.code, status.RESOURCE_EXHAUSTED, outcome.err?.details);
      assert.equal(await loginCallsCounted(), before);
      // Just under the limit, the message is the use case's to judge.
      const under = await client.call('Login', encodeMessage([str(1, 'ann@example.com'), str(3, 'p'.repeat(15 * 1024))]));
      assert.equal(under.err?.code, status.UNAUTHENTICATED, under.err?.details);
    } finally {
      client.close();
    }
  });

  test('the size is judged from the length prefix: a 1 MB message is refused before its bytes arrive', async () => {
    const session = connectHttp2(`http://127.0.0.1:${server.grpcPort}`);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/auth.v1.AuthService/Login', 'content-type': 'application/grpc', te: 'trailers' });
      // The 5-byte gRPC frame header announces 1 MiB; no byte of the message follows.
      const header = Buffer.alloc(5);
      header.writeUInt32BE(1024 * 1024, 1);
      stream.write(header);
      stream.on('error', () => {});
      // An error before any message comes as trailers only: the status is in the response headers.
      const [headers] = (await once(stream, 'response')) as [Record<string, string>];
      assert.equal(Number(headers['grpc-status']), status.RESOURCE_EXHAUSTED);
    } finally {
      session.destroy();
    }
  });

  test('50,000 streams without a body on one connection: the ones over the limit are refused, RSS grows by less than 100 MB, others are served', async () => {
    const pid = server.child.pid;
    assert.ok(pid);
    const before = memoryMiB(pid).rss;
    resetPeakMemory(pid);
    // An attacker ignores the server's SETTINGS: as if it allowed 2^32 - 1 streams.
    const session = connectHttp2(`http://127.0.0.1:${server.grpcPort}`, { peerMaxConcurrentStreams: 2 ** 32 - 1 });
    session.on('error', () => {});
    const attack = await openStreams(session, 50_000);
    const grown = memoryMiB(pid).peak - before;
    session.destroy();
    assert.ok(grown < 100, `peak RSS grew by ${Math.round(grown)} MiB (from ${Math.round(before)} MiB)`);
    assert.ok(attack.refused > 0 || attack.closedByServer, `every one of ${attack.opened} streams was accepted`);
    const client = new RawGrpcClient(server.grpcAddress);
    try {
      const outcome = await client.call('Login', encodeMessage([str(1, 'ann@example.com'), str(3, 'wrong password')]));
      assert.equal(outcome.err?.code, status.UNAUTHENTICATED, outcome.err?.details);
    } finally {
      client.close();
    }
  });
});

/** Streams are created in synchronous batches: the first goes out before the client has read the server's SETTINGS. */
const BATCH = 5000;
const STREAM_HEADERS = { ':method': 'POST', ':path': '/auth.v1.AuthService/Login', 'content-type': 'application/grpc', te: 'trailers' };
/** A bound on waiting for the client's own queue, so that a mistake here fails instead of hanging. */
const FLUSH_WAIT_MS = 60_000;

/**
 * Opens up to `count` streams that send their headers and never a body, until the server pushes back
 * (refuses a stream or closes the connection): once it has refused one, the client has its limit and
 * would hold further streams itself. Resolves when the server has read every stream that left (a
 * PING sent after them is answered), or has pushed back.
 */
async function openStreams(session: ClientHttp2Session, count: number): Promise<{ opened: number; refused: number; closedByServer: boolean }> {
  let refused = 0;
  let closedByServer = false;
  session.once('goaway', () => (closedByServer = true));
  session.once('close', () => (closedByServer = true));
  const noteClose = function (this: ClientHttp2Stream): void {
    if (this.rstCode === http2.NGHTTP2_REFUSED_STREAM) refused++;
  };
  const ignore = (): void => {};
  const pushedBack = (): boolean => closedByServer || refused > 0 || session.destroyed;
  await once(session, 'connect');
  let opened = 0;
  while (opened < count && !pushedBack()) {
    for (const end = Math.min(count, opened + BATCH); opened < end; opened++) {
      session.request(STREAM_HEADERS, { endStream: false }).on('error', ignore).on('close', noteClose);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const deadline = performance.now() + FLUSH_WAIT_MS;
  while (!pushedBack() && (session.state.outboundQueueSize ?? 0) > 0) {
    if (performance.now() > deadline) assert.fail(`${session.state.outboundQueueSize} streams never left the client, and the server refused none`);
    await delay(20);
  }
  // Frames leave in order: a PING sent once the queue is empty is answered after every stream was read.
  if (!closedByServer && !session.destroyed) await new Promise<void>((resolve) => session.ping(() => resolve()));
  return { opened, refused, closedByServer };
}
