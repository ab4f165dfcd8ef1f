/**
 * Shedding instead of queueing, through a real server process at the production bcrypt cost: calls
 * whose caller has gone are never hashed and never get a token, a full queue refuses at once with a
 * delay to retry after, and what happened shows in metrics as what it was.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { connect, errorDetails, type Client } from '../support/grpc-client.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const PASSWORD = 'correct horse battery';
const login = (email: string, password = PASSWORD) => ({ email, username: '', password, realm: '', ttlSeconds: 0, includeUser: false });

async function metric(server: ServerProcess, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) if (pattern.test(line)) total += Number(line.split(' ').pop());
  return total;
}

/** Waits until the server has no password check left to run: its CPU goes quiet. */
async function settle(): Promise<void> {
  await delay(1500);
}

describe('shedding on a real server (bcrypt cost 10)', () => {
  let server: ServerProcess;
  let client: Client;

  before(async () => {
    server = await startServer({ BCRYPT_COST: '10', HASH_QUEUE_MAX: '8', NODE_ENV: 'development', LOG_LEVEL: 'info' });
    client = connect(server.grpcAddress);
    for (let n = 0; n < 50; n++) await client.createUser({ email: `u${n}@example.com`, username: '', password: PASSWORD, realm: '' });
  });

  after(async () => {
    client?.close();
    await server?.stop();
  });

  it('refuses Logins beyond the queue at once with RESOURCE_EXHAUSTED and RetryInfo, and issues tokens only to those answered', async () => {
    const issuedBefore = await metric(server, /^auth_tokens_issued_total\{kind="access"\}/);
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, n) => client.login(login(`u${n}@example.com`), { deadlineMs: 20_000 })));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as ServiceError);
    assert.ok(refused.length > 0, 'some were shed');
    for (const err of refused) {
      assert.equal(err.code, status.RESOURCE_EXHAUSTED);
      assert.equal(errorDetails(err).reason, 'SERVICE_OVERLOADED');
      assert.ok((errorDetails(err).retryDelaySeconds ?? 0) >= 1);
    }
    const answered = results.length - refused.length;
    assert.equal((await metric(server, /^auth_tokens_issued_total\{kind="access"\}/)) - issuedBefore, answered);
    // Counted, not logged one line each: in a storm those lines would cost the CPU it is short of.
    assert.ok((await metric(server, /^auth_grpc_calls_total\{method="Login",code="RESOURCE_EXHAUSTED"\}/)) >= refused.length);
    assert.ok(!server.logs().some((line) => line.reason === 'SERVICE_OVERLOADED'), 'no log line per shed call');
  });

  it('answers REST 503 with Retry-After when the queue is full', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        fetch(`${server.httpUrl}/api/users/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: `u${n}@example.com`, password: PASSWORD }),
        }),
      ),
    );
    const shed = answers.filter((a) => a.status === 503);
    assert.ok(shed.length > 0);
    for (const answer of shed) {
      assert.ok(Number(answer.headers.get('retry-after')) >= 1);
      assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'SERVICE_OVERLOADED');
    }
    assert.ok(!server.logs().some((line) => line.code === 'SERVICE_OVERLOADED'), 'no log line per shed request');
    await settle();
  });

  it('drops gRPC Logins whose deadline passes while they wait: no hash, no token, counted as what they are', async () => {
    await settle();
    const checksBefore = await metric(server, /^auth_logins_total\{outcome="(success|failure)",method="password"\}/);
    const issuedBefore = await metric(server, /^auth_tokens_issued_total\{kind="access"\}/);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, n) => client.login(login(`u${n}@example.com`), { deadlineMs: 150 })));
    await settle();
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const checks = (await metric(server, /^auth_logins_total\{outcome="(success|failure)",method="password"\}/)) - checksBefore;
    // Two hashing threads at ~70 ms a check: at most a few can finish within 150 ms; the rest never run.
    assert.ok(checks < 8, `${checks} of 8 checks ran`);
    assert.equal((await metric(server, /^auth_tokens_issued_total\{kind="access"\}/)) - issuedBefore, ok);
    // Each either shed at once (it could not have started in time) or dropped when its deadline came.
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as ServiceError).code] : []));
    for (const code of codes) assert.ok(code === status.DEADLINE_EXCEEDED || code === status.RESOURCE_EXHAUSTED, status[code]);
    assert.equal(await metric(server, /^auth_grpc_calls_total\{method="Login",code="UNAUTHENTICATED"\}/), 0, 'abandoned calls are not failed logins');
    const timedOut = codes.filter((code) => code === status.DEADLINE_EXCEEDED).length;
    assert.ok((await metric(server, /^auth_grpc_calls_total\{method="Login",code="DEADLINE_EXCEEDED"\}/)) >= timedOut);
  });

  it('drops REST Logins whose client disconnects while they wait, and counts them as aborted (499)', async () => {
    await settle();
    const checksBefore = await metric(server, /^auth_logins_total\{outcome="(success|failure)",method="password"\}/);
    const issuedBefore = await metric(server, /^auth_tokens_issued_total\{kind="access"\}/);
    const controllers = Array.from({ length: 8 }, () => new AbortController());
    const requests = controllers.map((controller, n) =>
      fetch(`${server.httpUrl}/api/users/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `u${20 + n}@example.com`, password: PASSWORD }),
        signal: controller.signal,
      }).catch(() => undefined),
    );
    await delay(30);
    for (const controller of controllers) controller.abort();
    await Promise.all(requests);
    await settle();
    const checks = (await metric(server, /^auth_logins_total\{outcome="(success|failure)",method="password"\}/)) - checksBefore;
    assert.ok(checks < 8, `${checks} of 8 checks ran`);
    assert.equal((await metric(server, /^auth_tokens_issued_total\{kind="access"\}/)) - issuedBefore, 0, 'no token for a client that left');
    assert.ok((await metric(server, /^auth_http_requests_total\{method="POST",route="\/api\/users\/login",status="499"\}/)) >= 8);
    assert.ok(server.logs().some((line) => line.msg === 'request aborted by the client'));
  });
});
