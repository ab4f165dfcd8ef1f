/**
 * Sessions end to end: ListSessions and RevokeSession through grpc-js, LoopBack's
 * `/api/users/{id}/accessTokens` routes through fetch, against the built server on both stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { status, type ServiceError } from '@grpc/grpc-js';
import { connect, errorDetails, type Client } from '../support/grpc-client.js';
import { startMongo } from '../support/mongo.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const PASSWORD = 'correct horse battery';
const USER_AGENT = 'sessions-e2e/1.0';

interface SessionBody {
  id: string;
  ttl: number;
  created: string;
  userId: string;
  scopes: string[];
  lastUsed: string;
  expiresAt?: string;
  userAgent?: string;
  address?: string;
  current: boolean;
}

async function rejectsWith(promise: Promise<unknown>, code: status, reason: string): Promise<void> {
  await assert.rejects(promise, (err: ServiceError) => {
    assert.equal(status[err.code], status[code], err.details);
    assert.equal(errorDetails(err).reason, reason);
    return true;
  });
}

function describeSessions(storeName: string, storeEnv: () => Promise<{ env: Record<string, string>; stop(): Promise<void> }>) {
  describe(`sessions end to end (${storeName} store)`, () => {
    let server: ServerProcess;
    let client: Client;
    let database: { env: Record<string, string>; stop(): Promise<void> };
    let counter = 0;

    before(async () => {
      database = await storeEnv();
      server = await startServer(database.env);
      client = connect(server.grpcAddress, { userAgent: USER_AGENT });
    });

    after(async () => {
      client?.close();
      assert.equal(await server?.stop(), 0);
      await database?.stop();
    });

    async function newUser() {
      const email = `session${++counter}@example.com`;
      const { user } = await client.createUser({ email, username: '', password: PASSWORD, realm: '' });
      assert.ok(user);
      return { id: user.id, email };
    }

    async function grpcLogin(email: string): Promise<string> {
      const { accessToken } = await client.login({ email, username: '', password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: false });
      return accessToken?.id ?? '';
    }

    async function restLogin(email: string, userAgent: string): Promise<string> {
      const response = await fetch(`${server.httpUrl}/api/users/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': userAgent },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      assert.equal(response.status, 200);
      return ((await response.json()) as { id: string }).id;
    }

    const rest = async (method: string, path: string, token?: string) => {
      const response = await fetch(server.httpUrl + path, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
      const text = await response.text();
      return { status: response.status, text, json: text ? (JSON.parse(text) as unknown) : undefined };
    };
    const validate = async (accessToken: string) => (await client.validateToken({ accessToken, requiredScopes: [], includeUser: false })).active;

    it('lists the sessions of the token’s user on gRPC: where each came from, which is current, never a token', async () => {
      const { email } = await newUser();
      const viaRest = await restLogin(email, 'Mozilla/5.0 (X11; Linux x86_64)');
      const viaGrpc = await grpcLogin(email);
      const { sessions } = await client.listSessions({ accessToken: '' }, { authorization: `Bearer ${viaGrpc}` });
      assert.equal(sessions.length, 2);
      const current = sessions.find((s) => s.current);
      const other = sessions.find((s) => !s.current);
      assert.ok(current && other);
      assert.match(current.userAgent, new RegExp(`^${USER_AGENT} grpc-node-js/`));
      assert.equal(current.address, '127.0.0.1');
      assert.equal(other.userAgent, 'Mozilla/5.0 (X11; Linux x86_64)');
      assert.ok((sessions[0]?.created?.getTime() ?? 0) >= (sessions[1]?.created?.getTime() ?? 0), 'newest first');
      for (const session of sessions) {
        assert.match(session.id, /^[0-9a-f]{32}$/);
        assert.ok(session.created && session.lastUsed && session.expiresAt);
        assert.deepEqual(session.scopes, []);
      }
      const shown = JSON.stringify(sessions);
      assert.equal(shown.includes(viaRest) || shown.includes(viaGrpc), false);
    });

    it('revokes one of its own sessions on gRPC; another user’s, a malformed and a used id answer NOT_FOUND alike', async () => {
      const ann = await newUser();
      const bob = await newUser();
      const mine = await grpcLogin(ann.email);
      const other = await grpcLogin(ann.email);
      const theirs = await grpcLogin(bob.email);
      const idOf = async (token: string) => (await client.listSessions({ accessToken: token })).sessions.find((s) => s.current)?.id ?? '';
      const [otherId, theirId] = [await idOf(other), await idOf(theirs)];

      await rejectsWith(client.revokeSession({ accessToken: mine, sessionId: theirId }), status.NOT_FOUND, 'SESSION_NOT_FOUND');
      assert.equal(await validate(theirs), true);
      for (const sessionId of ['not-a-session', otherId.toUpperCase(), theirs]) {
        await rejectsWith(client.revokeSession({ accessToken: mine, sessionId }), status.NOT_FOUND, 'SESSION_NOT_FOUND');
      }
      await rejectsWith(client.revokeSession({ accessToken: mine, sessionId: '' }), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
      await rejectsWith(client.revokeSession({ accessToken: 'x', sessionId: otherId }), status.UNAUTHENTICATED, 'INVALID_TOKEN');

      await client.revokeSession({ accessToken: mine, sessionId: otherId });
      assert.equal(await validate(other), false);
      assert.equal(await validate(mine), true);
      await rejectsWith(client.revokeSession({ accessToken: mine, sessionId: otherId }), status.NOT_FOUND, 'SESSION_NOT_FOUND');
    });

    it('serves LoopBack’s /api/users/{id}/accessTokens to the owner only, 401 AUTHORIZATION_REQUIRED otherwise', async () => {
      const ann = await newUser();
      const bob = await newUser();
      const token = await restLogin(ann.email, 'curl/8.5.0');
      const second = await restLogin(ann.email, 'curl/8.5.0');
      const bobToken = await restLogin(bob.email, 'curl/8.5.0');

      const listed = await rest('GET', `/api/Users/${ann.id}/accessTokens`, token);
      assert.equal(listed.status, 200, listed.text);
      const sessions = listed.json as SessionBody[];
      assert.equal(sessions.length, 2);
      assert.deepEqual(Object.keys(sessions[0] ?? {}).sort(), ['address', 'created', 'current', 'expiresAt', 'id', 'lastUsed', 'scopes', 'ttl', 'userAgent', 'userId']);
      assert.deepEqual(sessions.map((s) => [s.userId, s.ttl, s.userAgent, s.address]), Array(2).fill([ann.id, 1209600, 'curl/8.5.0', '127.0.0.1']));
      assert.equal(sessions.filter((s) => s.current).length, 1);
      assert.equal(listed.text.includes(token) || listed.text.includes(second), false);
      assert.equal((await rest('GET', `/api/users/${ann.id}/accessTokens?access_token=${token}`)).status, 200);

      for (const [path, credential] of [
        [`/api/users/${bob.id}/accessTokens`, token],
        [`/api/users/${ann.id}/accessTokens`, bobToken],
        [`/api/users/${ann.id}/accessTokens`, undefined],
        [`/api/users/${ann.id}/accessTokens`, 'x'.repeat(64)],
        ['/api/users/no-such-user/accessTokens', token],
      ] as const) {
        const refused = await rest('GET', path, credential);
        assert.equal(refused.status, 401, path);
        assert.deepEqual(refused.json, { error: { statusCode: 401, name: 'Error', message: 'Authorization Required', code: 'AUTHORIZATION_REQUIRED' } });
      }

      const secondId = sessions.find((s) => !s.current)?.id ?? '';
      const bobSession = ((await rest('GET', `/api/users/${bob.id}/accessTokens`, bobToken)).json as SessionBody[])[0]?.id ?? '';
      assert.equal((await rest('DELETE', `/api/users/${bob.id}/accessTokens/${bobSession}`, token)).status, 401);
      for (const fk of [bobSession, 'malformed', '0'.repeat(32)]) {
        const missing = await rest('DELETE', `/api/users/${ann.id}/accessTokens/${fk}`, token);
        assert.equal(missing.status, 404, fk);
        assert.equal((missing.json as { error: { code: string } }).error.code, 'SESSION_NOT_FOUND');
      }
      assert.equal(await validate(bobToken), true);
      const deleted = await rest('DELETE', `/api/users/${ann.id}/accessTokens/${secondId}`, token);
      assert.equal(deleted.status, 204);
      assert.equal(deleted.text, '');
      assert.equal(await validate(second), false);
      assert.equal(await validate(token), true);
    });

    it('never lets a session survive a revocation that raced its validation', async () => {
      const { email } = await newUser();
      const keeper = await grpcLogin(email);
      for (let round = 0; round < 5; round++) {
        const victim = await grpcLogin(email);
        const victimId = (await client.listSessions({ accessToken: victim })).sessions.find((s) => s.current)?.id ?? '';
        const validations = Array.from({ length: 20 }, () => validate(victim));
        await Promise.all([client.revokeSession({ accessToken: keeper, sessionId: victimId }), ...validations]);
        assert.equal(await validate(victim), false);
      }
      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      assert.match(metrics, /^auth_sessions_revoked_total\{reason="revoked"\} ([5-9]|\d\d+)$/m);
    });

    it('ends a session left unused for longer than TOKEN_IDLE_TIMEOUT, on gRPC and REST alike', async () => {
      // 2 s is allowed in test mode only: elsewhere the timeout is at least two minutes.
      const idleServer = await startServer({ ...database.env, TOKEN_IDLE_TIMEOUT: '2' });
      const idleClient = connect(idleServer.grpcAddress);
      try {
        const email = `idle${++counter}@example.com`;
        await idleClient.createUser({ email, username: '', password: PASSWORD, realm: '' });
        const login = () => idleClient.login({ email, username: '', password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: false });
        const idle = (await login()).accessToken?.id ?? '';
        assert.equal((await idleClient.validateToken({ accessToken: idle, requiredScopes: [], includeUser: false })).active, true);
        await delay(3000);
        const fresh = (await login()).accessToken?.id ?? '';
        assert.deepEqual((await idleClient.listSessions({ accessToken: fresh })).sessions.map((s) => s.current), [true]);
        assert.equal((await idleClient.validateToken({ accessToken: idle, requiredScopes: [], includeUser: false })).active, false);
        const rest = await fetch(`${idleServer.httpUrl}/api/tokens/validate`, { method: 'POST', headers: { authorization: idle } });
        assert.deepEqual(await rest.json(), { active: false });
        const metrics = await (await fetch(`${idleServer.httpUrl}/metrics`)).text();
        assert.match(metrics, /^auth_sessions_revoked_total\{reason="idle"\} 1$/m);
      } finally {
        idleClient.close();
        await idleServer.stop();
      }
    });
  });
}

describeSessions('embedded', async () => ({ env: {}, stop: async () => undefined }));
describeSessions('MongoDB', async () => {
  const mongo = await startMongo();
  return { env: { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName }, stop: () => mongo.stop() };
});
