// The gateways while the database is down (FerretDB stopped under a running server): the only time
// they fail rather than deny, and they say so in each protocol's own way.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import bcrypt from 'bcrypt';
import { newAccount } from '../support/accounts.js';
import { connectEnvoy } from '../support/envoy-client.js';
import { startMongo } from '../support/mongo.js';
import { startServer } from '../support/server-process.js';

async function waitForReadiness(url: string, wanted: number): Promise<void> {
  for (let attempt = 0; (await fetch(`${url}/readyz`)).status !== wanted; attempt++) {
    if (attempt > 300) throw new Error(`/readyz never answered ${wanted}`);
    await sleep(50);
  }
}

describe('gateways while the database is down', () => {
  it('Check fails with UNAVAILABLE, /auth/verify and /oauth/introspect with 503; all allow again once it is back', async () => {
    const clients = join(tmpdir(), `introspection-clients-${process.pid}`);
    writeFileSync(clients, `rs:${bcrypt.hashSync('rs-secret', 4)}\n`);
    const mongo = await startMongo();
    const server = await startServer({ MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName, INTROSPECTION_CLIENTS_FILE: clients });
    const envoy = connectEnvoy(server.grpcAddress);
    const verify = (token: string) => fetch(`${server.httpUrl}/auth/verify`, { headers: { authorization: `Bearer ${token}` } });
    const introspect = (token: string) =>
      fetch(`${server.httpUrl}/oauth/introspect`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('rs:rs-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
    try {
      const { token } = await newAccount(server);
      assert.equal((await envoy.check({ headers: { authorization: `Bearer ${token}` } })).status.code, status.OK);

      await mongo.stop();
      await waitForReadiness(server.httpUrl, 503);
      await assert.rejects(envoy.check({ headers: { authorization: `Bearer ${token}` } }), (err: ServiceError) => err.code === status.UNAVAILABLE);
      const verified = await verify(token);
      assert.equal(verified.status, 503);
      assert.equal(((await verified.json()) as { error: { code: string } }).error.code, 'SERVICE_UNAVAILABLE');
      const introspected = await introspect(token);
      assert.equal(introspected.status, 503);
      assert.deepEqual(await introspected.json(), { error: 'temporarily_unavailable' });

      await mongo.restart();
      await waitForReadiness(server.httpUrl, 200);
      assert.equal((await envoy.check({ headers: { authorization: `Bearer ${token}` } })).status.code, status.OK);
      assert.equal((await verify(token)).status, 200);
      assert.equal(((await (await introspect(token)).json()) as { active: boolean }).active, true);
    } finally {
      envoy.close();
      await server.stop();
      await mongo.stop();
      rmSync(clients, { force: true });
    }
  });
});
