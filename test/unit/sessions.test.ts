import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { hashToken } from '../../src/core/sessions/token-format.js';
import { CoalescedLastUse } from '../../src/storage/tokens/last-use.js';
import { MemoryTokenStore } from '../../src/storage/tokens/memory.js';
import { createTestService, type ServiceFixture } from '../support/service.js';

const PASSWORD = 'correct horse';

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: { code?: string }) => {
    assert.equal(err.code, code);
    return true;
  });
}

async function signedIn(fx: ServiceFixture, email: string, call: { userAgent?: string; clientAddress?: string } = {}, ttlSeconds = 0) {
  return (await fx.service.login({ email, password: PASSWORD, ttlSeconds }, call)).token;
}

async function twoUsers() {
  const fx = await createTestService();
  const ann = await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
  const bob = await fx.service.createUser({ email: 'bob@example.com', password: PASSWORD });
  return { fx, ann, bob };
}

describe('ListSessions', () => {
  it("lists the caller's live sessions, newest first, with where they came from and which is current, never a token", async () => {
    const { fx } = await twoUsers();
    const first = await signedIn(fx, 'ann@example.com', { userAgent: 'curl/8.5', clientAddress: '192.0.2.7' });
    fx.clock.advance(1000);
    const second = await signedIn(fx, 'ann@example.com');
    await signedIn(fx, 'bob@example.com');
    const sessions = await fx.service.listSessions(first.id);
    assert.deepEqual(
      sessions.map((s) => [s.id, s.current, s.userAgent, s.address]),
      [
        [second.sessionId, false, undefined, undefined],
        [first.sessionId, true, 'curl/8.5', '192.0.2.7'],
      ],
    );
    assert.match(sessions[0]?.id ?? '', /^[0-9a-f]{32}$/);
    assert.deepEqual(sessions[1]?.created, first.created);
    assert.deepEqual(sessions[1]?.lastUsed, fx.clock.now(), 'used by this very call');
    assert.deepEqual(sessions[0]?.lastUsed, second.created);
    assert.deepEqual(sessions[1]?.expiresAt, first.expiresAt);
    const shown = JSON.stringify(sessions);
    for (const token of [first.id, second.id]) assert.equal(shown.includes(token), false);
  });

  it('leaves out expired sessions and reset tokens', async () => {
    const { fx } = await twoUsers();
    const short = await signedIn(fx, 'ann@example.com', {}, 60);
    const long = await signedIn(fx, 'ann@example.com');
    await fx.service.resetPassword('ann@example.com');
    assert.equal((await fx.service.listSessions(long.id)).length, 2);
    fx.clock.advance(60_000);
    assert.deepEqual((await fx.service.listSessions(long.id)).map((s) => s.id), [long.sessionId]);
    await rejectsWith(fx.service.listSessions(short.id), ErrorCode.INVALID_TOKEN);
  });

  it('keeps a bounded, printable user agent and address', async () => {
    const { fx } = await twoUsers();
    const token = await signedIn(fx, 'ann@example.com', { userAgent: `agent\u0000\u202e\n${'x'.repeat(1000)}`, clientAddress: 'a'.repeat(200) });
    const [session] = await fx.service.listSessions(token.id);
    assert.equal(session?.userAgent, `agent${'x'.repeat(251)}`);
    assert.equal(session?.address, 'a'.repeat(64));
    const blank = await signedIn(fx, 'ann@example.com', { userAgent: '\u0000\u0001 ' });
    assert.equal((await fx.service.listSessions(blank.id)).find((s) => s.current)?.userAgent, undefined);
  });

  it('needs an active access token; on REST, one of the user named in the path', async () => {
    const { fx, ann, bob } = await twoUsers();
    const token = await signedIn(fx, 'ann@example.com');
    await rejectsWith(fx.service.listSessions(''), ErrorCode.INVALID_TOKEN);
    await rejectsWith(fx.service.listSessions('x'.repeat(64)), ErrorCode.INVALID_TOKEN);
    await fx.service.resetPassword('ann@example.com');
    await rejectsWith(fx.service.listSessions(fx.notifier.last().token), ErrorCode.INVALID_TOKEN);
    assert.equal((await fx.service.listSessions(token.id, ann.id)).length, 1);
    await rejectsWith(fx.service.listSessions(token.id, bob.id), ErrorCode.AUTHORIZATION_REQUIRED);
    await rejectsWith(fx.service.listSessions('', ann.id), ErrorCode.AUTHORIZATION_REQUIRED);
    await rejectsWith(fx.service.listSessions(token.id, 'no-such-user'), ErrorCode.AUTHORIZATION_REQUIRED);
  });
});

describe('RevokeSession', () => {
  it('ends one of the caller’s sessions, which is inactive at once; the others live on', async () => {
    const { fx } = await twoUsers();
    const current = await signedIn(fx, 'ann@example.com');
    const other = await signedIn(fx, 'ann@example.com');
    await fx.service.revokeSession(current.id, other.sessionId);
    assert.equal((await fx.service.validateToken({ accessToken: other.id })).active, false);
    assert.equal((await fx.service.validateToken({ accessToken: current.id })).active, true);
    assert.deepEqual((await fx.service.listSessions(current.id)).map((s) => s.id), [current.sessionId]);
    await rejectsWith(fx.service.revokeSession(current.id, other.sessionId), ErrorCode.SESSION_NOT_FOUND);
    await fx.service.revokeSession(current.id, current.sessionId);
    await rejectsWith(fx.service.listSessions(current.id), ErrorCode.INVALID_TOKEN);
  });

  it("answers another user's session as one that does not exist, and leaves it alone", async () => {
    const { fx, bob } = await twoUsers();
    const mine = await signedIn(fx, 'ann@example.com');
    const theirs = await signedIn(fx, 'bob@example.com');
    await rejectsWith(fx.service.revokeSession(mine.id, theirs.sessionId), ErrorCode.SESSION_NOT_FOUND);
    await rejectsWith(fx.service.revokeSession(mine.id, '0'.repeat(32)), ErrorCode.SESSION_NOT_FOUND);
    assert.equal((await fx.service.validateToken({ accessToken: theirs.id })).active, true);
    await rejectsWith(fx.service.revokeSession(mine.id, theirs.sessionId, bob.id), ErrorCode.AUTHORIZATION_REQUIRED);
    assert.equal((await fx.service.validateToken({ accessToken: theirs.id })).active, true);
  });

  it('refuses an empty id, and answers a malformed one as unknown', async () => {
    const { fx } = await twoUsers();
    const token = await signedIn(fx, 'ann@example.com');
    await rejectsWith(fx.service.revokeSession(token.id, ''), ErrorCode.INVALID_ARGUMENT);
    for (const id of ['x', token.sessionId.toUpperCase(), `${token.sessionId} `, '{"$ne":null}', token.id]) {
      await rejectsWith(fx.service.revokeSession(token.id, id), ErrorCode.SESSION_NOT_FOUND);
    }
    assert.equal((await fx.service.listSessions(token.id)).length, 1);
  });

  it('lets exactly one of concurrent revocations of one session succeed', async () => {
    const { fx } = await twoUsers();
    const current = await signedIn(fx, 'ann@example.com');
    const other = await signedIn(fx, 'ann@example.com');
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => fx.service.revokeSession(current.id, other.sessionId)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  });
});

describe('the idle timeout', () => {
  const IDLE_SECONDS = 600;

  /** The service with the idle timeout, its last use written through the coalescing store on the test's clock. */
  async function idleService(idleTimeoutSeconds = IDLE_SECONDS) {
    const clock: { now?: () => Date } = {};
    const inner = new MemoryTokenStore();
    const tokens = new CoalescedLastUse(inner, { windowMs: 60_000, maxEntries: 1000, onError: (err) => assert.fail(String(err)), now: () => clock.now?.().getTime() ?? 0 });
    const revoked: string[] = [];
    const fx = await createTestService({ idleTimeoutSeconds }, { tokens });
    clock.now = fx.clock.now;
    fx.context.events = { ...fx.context.events, sessionsRevoked: (reason, count) => revoked.push(`${reason}:${count}`) };
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    return { fx, inner, revoked };
  }
  const active = async (fx: ServiceFixture, accessToken: string) => (await fx.service.validateToken({ accessToken })).active;

  it('ends a session unused for longer than the timeout, everywhere, and deletes it', async () => {
    const { fx, inner, revoked } = await idleService();
    const idle = await signedIn(fx, 'ann@example.com');
    const used = await signedIn(fx, 'ann@example.com');
    fx.clock.advance(IDLE_SECONDS * 1000);
    assert.equal(await active(fx, used.id), true, 'exactly the timeout is not longer');
    fx.clock.advance(IDLE_SECONDS * 1000 - 1000);
    assert.equal(await active(fx, used.id), true);
    assert.deepEqual((await fx.service.listSessions(used.id)).map((s) => s.id), [used.sessionId], 'not listed once idle');
    fx.clock.advance(2000);
    assert.equal(await active(fx, idle.id), false);
    assert.equal(await inner.find(hashToken(idle.id)), undefined, 'deleted');
    assert.deepEqual(revoked, ['idle:1']);
    await rejectsWith(fx.service.logout(idle.id), ErrorCode.INVALID_TOKEN);
    await rejectsWith(fx.service.revokeSession(used.id, idle.sessionId), ErrorCode.SESSION_NOT_FOUND);
    assert.equal(await active(fx, used.id), true);
  });

  it('keeps a session in use alive for as long as it is used, writing its use at most once a minute', async () => {
    // The shortest timeout allowed outside tests: twice the minute within which a use is recorded.
    const { fx, inner } = await idleService(120);
    const session = await signedIn(fx, 'ann@example.com');
    let writes = 0;
    const touch = inner.touch.bind(inner);
    inner.touch = async (hash, at) => {
      writes++;
      await touch(hash, at);
    };
    for (let second = 0; second < 3600; second += 15) {
      fx.clock.advance(15_000);
      assert.equal(await active(fx, session.id), true, `after ${second + 15} s`);
    }
    assert.ok(writes <= 60, `${writes} writes in an hour`);
    const [listed] = await fx.service.listSessions(session.id);
    assert.ok(fx.clock.now().getTime() - (listed?.lastUsed.getTime() ?? 0) <= 60_000, 'last use lags by at most a minute');
  });

  it('leaves reset tokens alone: they have their own lifetime', async () => {
    const { fx } = await idleService();
    await fx.service.resetPassword('ann@example.com');
    fx.clock.advance(IDLE_SECONDS * 1000 + 1000);
    assert.equal(fx.context.policy.resetTokenTtlSeconds * 1000 > IDLE_SECONDS * 1000 + 1000, true);
    await fx.service.setPassword(fx.notifier.last().token, 'a brand new password');
  });

  it('is off with 0: a session lives until it expires', async () => {
    const fx = await createTestService();
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const session = await signedIn(fx, 'ann@example.com');
    fx.clock.advance(13 * 24 * 3600_000);
    assert.equal(await active(fx, session.id), true);
  });
});
