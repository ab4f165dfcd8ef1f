import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../support/grpc-client.js';
import { startMongo } from '../support/mongo.js';
import { startReplicas, type Replicas } from '../support/replicas.js';

const PASSWORD = 'correct horse battery';
const CACHE_TTL_MS = 1500;
const loginRequest = (email: string) => ({ email, username: '', password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: false });
const isActive = async (client: Client, accessToken: string) =>
  (await client.validateToken({ accessToken, requiredScopes: [], includeUser: false })).active;

describe(`TOKEN_CACHE_TTL_MS=${CACHE_TTL_MS}: two service processes on one database`, () => {
  let mongo: Awaited<ReturnType<typeof startMongo>>;
  let replicas: Replicas;
  let a: Client;
  let b: Client;

  before(async () => {
    mongo = await startMongo();
    const env = { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName, TOKEN_CACHE_TTL_MS: String(CACHE_TTL_MS) };
    replicas = await startReplicas(env);
    ({ a, b } = replicas);
  });

  after(async () => {
    await replicas.stop();
    await mongo.stop();
  });

  it('revokes at once on the process that logged out', async () => {
    await a.createUser({ email: 'here@example.com', username: '', password: PASSWORD, realm: '' });
    const token = (await a.login(loginRequest('here@example.com'))).accessToken?.id ?? '';
    assert.equal(await isActive(a, token), true);
    await a.logout({ accessToken: token, allSessions: false });
    assert.equal(await isActive(a, token), false);
  });

  it('sees a token issued on the other process at once', async () => {
    await a.createUser({ email: 'new@example.com', username: '', password: PASSWORD, realm: '' });
    const token = (await a.login(loginRequest('new@example.com'))).accessToken?.id ?? '';
    assert.equal(await isActive(b, token), true);
  });

  it('serves a token logged out on the other process for at most the cache ttl', async () => {
    await a.createUser({ email: 'there@example.com', username: '', password: PASSWORD, realm: '' });
    const token = (await a.login(loginRequest('there@example.com'))).accessToken?.id ?? '';
    assert.equal(await isActive(b, token), true, 'b has it cached');
    const loggedOut = Date.now();
    await a.logout({ accessToken: token, allSessions: false });
    assert.equal(await isActive(b, token), true, 'b answers from its cache, without reading the database');
    while (await isActive(b, token)) {
      assert.ok(Date.now() - loggedOut <= CACHE_TTL_MS, `still active on b ${Date.now() - loggedOut} ms after the logout`);
      await delay(50);
    }
    assert.equal(await isActive(a, token), false);
  });
});
