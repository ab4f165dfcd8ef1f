// The gateways against the account lifecycle, on the built server: Envoy's Check, forward auth's
// /auth/verify and RFC 7662 introspection answer as ValidateToken does for a disabled user's tokens
// and for an idle session, since all four go through the one validation use case.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import bcrypt from 'bcrypt';
import { newAccount } from '../support/accounts.js';
import { connectEnvoy, type EnvoyClient } from '../support/envoy-client.js';
import { grpcurl } from '../support/grpc-tools.js';
import { freePort } from '../support/net.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const CLIENT = { id: 'orders-api', secret: 'orders-api-secret' };

const dir = mkdtempSync(join(tmpdir(), 'gateways-sessions-'));
const clientsFile = join(dir, 'clients');
writeFileSync(clientsFile, `${CLIENT.id}:${bcrypt.hashSync(CLIENT.secret, 4)}\n`);
after(() => rmSync(dir, { recursive: true, force: true }));

/** What each door answers for a token: whether it lets it through. */
interface Doors {
  validateToken: boolean;
  check: boolean;
  forwardAuth: boolean;
  introspection: boolean;
}

async function doors(server: ServerProcess, envoy: EnvoyClient, token: string): Promise<Doors> {
  const validation = await fetch(`${server.httpUrl}/api/tokens/validate`, { method: 'POST', headers: { authorization: token } });
  const checked = await envoy.check({ headers: { authorization: `Bearer ${token}` }, path: '/orders' });
  const verified = await fetch(`${server.httpUrl}/auth/verify`, { headers: { authorization: `Bearer ${token}` } });
  const introspected = await fetch(`${server.httpUrl}/oauth/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }).toString(),
  });
  assert.equal(introspected.status, 200);
  const denied = checked.http_response === 'denied_response';
  if (denied) assert.equal(checked.status.code, status.UNAUTHENTICATED);
  if (!verified.ok) assert.equal(verified.status, 401);
  return {
    validateToken: ((await validation.json()) as { active: boolean }).active,
    check: !denied,
    forwardAuth: verified.ok,
    introspection: ((await introspected.json()) as { active: boolean }).active,
  };
}

const ALL_OPEN: Doors = { validateToken: true, check: true, forwardAuth: true, introspection: true };
const ALL_SHUT: Doors = { validateToken: false, check: false, forwardAuth: false, introspection: false };

describe('gateways and a disabled account (AdminService), with the token cache on', () => {
  let server: ServerProcess;
  let envoy: EnvoyClient;
  let adminAddress = '';

  before(async () => {
    const adminPort = await freePort();
    adminAddress = `127.0.0.1:${adminPort}`;
    // A cached token must not outlive DisableUser on the replica that ran it.
    server = await startServer({ ADMIN_GRPC_PORT: String(adminPort), INTROSPECTION_CLIENTS_FILE: clientsFile, TOKEN_CACHE_TTL_MS: '60000' });
    envoy = connectEnvoy(server.grpcAddress);
  });

  after(async () => {
    envoy?.close();
    await server?.stop();
  });

  it("shut every door to the user's tokens, as ValidateToken does, and keep them shut once enabled", async () => {
    const ann = await newAccount(server);
    const bob = await newAccount(server);
    assert.deepEqual(await doors(server, envoy, ann.token), ALL_OPEN);
    const disabled = await grpcurl(adminAddress, ['auth.v1.AdminService/DisableUser'], { user_id: ann.userId });
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.deepEqual(await doors(server, envoy, ann.token), ALL_SHUT);
    assert.deepEqual(await doors(server, envoy, bob.token), ALL_OPEN, 'another user is untouched');
    assert.equal((await grpcurl(adminAddress, ['auth.v1.AdminService/EnableUser'], { user_id: ann.userId })).code, 0);
    assert.deepEqual(await doors(server, envoy, ann.token), ALL_SHUT, 'revoked tokens stay revoked');
  });
});

describe('gateways and an idle session (TOKEN_IDLE_TIMEOUT)', () => {
  let server: ServerProcess;
  let envoy: EnvoyClient;

  before(async () => {
    // 2 s is allowed in test mode only: elsewhere the timeout is at least two minutes.
    server = await startServer({ TOKEN_IDLE_TIMEOUT: '2', INTROSPECTION_CLIENTS_FILE: clientsFile });
    envoy = connectEnvoy(server.grpcAddress);
  });

  after(async () => {
    envoy?.close();
    await server?.stop();
  });

  it('shut every door to a session unused for longer than the timeout, whichever door sees it first', async () => {
    const ann = await newAccount(server);
    await delay(3000);
    assert.deepEqual(await doors(server, envoy, ann.token), ALL_SHUT);
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /^auth_sessions_revoked_total\{reason="idle"\} 1$/m);
  });
});
