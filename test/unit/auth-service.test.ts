import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { hashToken } from '../../src/core/sessions/token-format.js';
import { createTestService, type ServiceFixture } from '../support/service.js';

const PASSWORD = 'correct horse';

async function withUser(fixture: ServiceFixture, email = 'Ann@Example.com', extra: { username?: string; realm?: string } = {}) {
  return fixture.service.createUser({ email, password: PASSWORD, ...extra });
}

/** Asserts that the promise rejects with the given contract code (docs/contract.md). */
async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: { code?: string }) => {
    assert.equal(err.code, code);
    return true;
  });
}

describe('CreateUser', () => {
  it('stores the email trimmed and lower-cased and never returns the hash', async () => {
    const fx = await createTestService();
    const user = await withUser(fx, '  Ann@Example.COM ', { username: 'ann' });
    assert.equal(user.email, 'ann@example.com');
    assert.equal(user.username, 'ann');
    assert.equal(user.emailVerified, false);
    assert.match(user.id, /^[0-9a-f]{24}$/);
    assert.equal(Object.keys(user).includes('passwordHash'), false);
  });

  it('refuses a taken email or username in the same realm, allows them in another', async () => {
    const fx = await createTestService();
    await withUser(fx, 'ann@example.com', { username: 'ann' });
    await rejectsWith(withUser(fx, 'ANN@example.com'), ErrorCode.EMAIL_EXISTS);
    await rejectsWith(withUser(fx, 'other@example.com', { username: 'ann' }), ErrorCode.USERNAME_EXISTS);
    await withUser(fx, 'ann@example.com', { username: 'ann', realm: 'tenant-b' });
  });

  it('lets many users without a username coexist', async () => {
    const fx = await createTestService();
    for (let i = 0; i < 3; i++) await withUser(fx, `u${i}@example.com`);
  });

  it('applies the password rules: 8 characters, 72 bytes, never truncated', async () => {
    const fx = await createTestService();
    await rejectsWith(fx.service.createUser({ email: 'a@example.com', password: '' }), ErrorCode.PASSWORD_REQUIRED);
    await rejectsWith(fx.service.createUser({ email: 'a@example.com', password: 'short' }), ErrorCode.PASSWORD_TOO_SHORT);
    await rejectsWith(fx.service.createUser({ email: 'a@example.com', password: 'x'.repeat(73) }), ErrorCode.PASSWORD_TOO_LONG);
    // 24 three-byte characters are 72 bytes: accepted; one more is refused.
    await fx.service.createUser({ email: 'b@example.com', password: '€'.repeat(24) });
    await rejectsWith(fx.service.createUser({ email: 'c@example.com', password: '€'.repeat(25) }), ErrorCode.PASSWORD_TOO_LONG);
  });

  it('refuses passwords bcrypt would confuse: NUL (P and P\\0P hash alike) and lone surrogates', async () => {
    const fx = await createTestService();
    for (const password of ['abcd\u0000abcd', '\u0000'.repeat(8), '\ud800'.repeat(8)]) {
      await rejectsWith(fx.service.createUser({ email: 'a@example.com', password }), ErrorCode.INVALID_ARGUMENT);
    }
    await withUser(fx);
    await rejectsWith(fx.service.login({ email: 'ann@example.com', password: `${PASSWORD}\u0000${PASSWORD}` }), ErrorCode.LOGIN_FAILED);
    await rejectsWith(fx.service.createUser({ email: '\ud800@example.com', password: PASSWORD }), ErrorCode.INVALID_EMAIL);
  });

  it('refuses malformed emails, usernames and realms', async () => {
    const fx = await createTestService();
    for (const email of ['', 'no-at', 'a@b', `${'x'.repeat(250)}@example.com`, 'a\u0000@example.com', 'a b@example.com']) {
      await rejectsWith(fx.service.createUser({ email, password: PASSWORD }), ErrorCode.INVALID_EMAIL);
    }
    for (const username of ['a b', 'x'.repeat(65), '$ne', 'a\u0000']) {
      await rejectsWith(fx.service.createUser({ email: 'a@example.com', username, password: PASSWORD }), ErrorCode.INVALID_ARGUMENT);
    }
    await rejectsWith(fx.service.createUser({ email: 'a@example.com', realm: 'r\u0001', password: PASSWORD }), ErrorCode.INVALID_ARGUMENT);
  });
});

describe('Login', () => {
  it('logs in by email (case-insensitive) or username and issues a 64-character token', async () => {
    const fx = await createTestService();
    const user = await withUser(fx, 'ann@example.com', { username: 'ann' });
    const byEmail = await fx.service.login({ email: ' ANN@example.com', password: PASSWORD });
    assert.match(byEmail.token.id, /^[0-9A-Za-z]{64}$/);
    assert.equal(byEmail.token.userId, user.id);
    assert.equal(byEmail.token.ttlSeconds, 1209600);
    assert.equal(byEmail.user, undefined);
    const byUsername = await fx.service.login({ username: 'ann', password: PASSWORD, includeUser: true });
    assert.deepEqual(byUsername.user, user);
  });

  it('uses the email when both are given', async () => {
    const fx = await createTestService();
    await withUser(fx, 'ann@example.com', { username: 'ann' });
    await rejectsWith(fx.service.login({ email: 'bob@example.com', username: 'ann', password: PASSWORD }), ErrorCode.LOGIN_FAILED);
  });

  it('stores only the SHA-256 of the token', async () => {
    const fx = await createTestService();
    await withUser(fx);
    const { token } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD });
    assert.ok(await fx.store.tokens.find(hashToken(token.id)));
    assert.equal(await fx.store.tokens.find(token.id), undefined);
  });

  it('fails alike for an unknown user and a wrong password', async () => {
    const fx = await createTestService();
    await withUser(fx);
    const wrong = fx.service.login({ email: 'ann@example.com', password: 'wrong password' });
    const unknown = fx.service.login({ email: 'nobody@example.com', password: PASSWORD });
    await Promise.all([wrong, unknown].map((attempt) => assert.rejects(attempt, { code: ErrorCode.LOGIN_FAILED, message: 'login failed' })));
  });

  it('refuses a password over 72 bytes even when its first 72 bytes match', async () => {
    const fx = await createTestService();
    const password = 'p'.repeat(72);
    await fx.service.createUser({ email: 'long@example.com', password });
    await fx.service.login({ email: 'long@example.com', password });
    await rejectsWith(fx.service.login({ email: 'long@example.com', password: `${password}x` }), ErrorCode.LOGIN_FAILED);
  });

  it('requires an email or username, and a password', async () => {
    const fx = await createTestService();
    await rejectsWith(fx.service.login({ password: PASSWORD }), ErrorCode.USERNAME_EMAIL_REQUIRED);
    await rejectsWith(fx.service.login({ email: 'ann@example.com', password: '' }), ErrorCode.PASSWORD_REQUIRED);
    await rejectsWith(fx.service.login({ email: 'not-an-email', password: PASSWORD }), ErrorCode.INVALID_EMAIL);
  });

  it('applies the TTL rules: default, cap, eternal only when allowed, other negatives refused', async () => {
    const fx = await createTestService();
    await withUser(fx);
    const login = (ttlSeconds: number) => fx.service.login({ email: 'ann@example.com', password: PASSWORD, ttlSeconds });
    assert.equal((await login(0)).token.ttlSeconds, 1209600);
    assert.equal((await login(60)).token.ttlSeconds, 60);
    const capped = (await login(10 ** 12)).token;
    assert.equal(capped.ttlSeconds, 31556926);
    assert.equal(capped.expiresAt?.getTime(), capped.created.getTime() + 31556926 * 1000);
    await rejectsWith(login(-1), ErrorCode.INVALID_TTL);
    await rejectsWith(login(-2), ErrorCode.INVALID_TTL);
    await rejectsWith(login(1.5), ErrorCode.INVALID_TTL);

    const eternal = await createTestService({ allowEternalTokens: true });
    await withUser(eternal);
    const { token } = await eternal.service.login({ email: 'ann@example.com', password: PASSWORD, ttlSeconds: -1 });
    assert.equal(token.ttlSeconds, -1);
    assert.equal(token.expiresAt, undefined);
    eternal.clock.advance(10 * 365 * 86400_000);
    assert.equal((await eternal.service.validateToken({ accessToken: token.id })).active, true);
  });

  it('keeps realms apart', async () => {
    const fx = await createTestService();
    await withUser(fx, 'ann@example.com', { realm: 'a' });
    await rejectsWith(fx.service.login({ email: 'ann@example.com', password: PASSWORD }), ErrorCode.LOGIN_FAILED);
    const { token } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD, realm: 'a' });
    const validation = await fx.service.validateToken({ accessToken: token.id });
    assert.equal(validation.active && validation.realm, 'a');
  });
});

describe('Login throttle', () => {
  it('locks an account after 5 failures, even for the right password, with a doubling delay', async () => {
    const fx = await createTestService();
    await withUser(fx);
    const attempt = (password: string) => fx.service.login({ email: 'ann@example.com', password });
    for (let i = 0; i < 5; i++) await rejectsWith(attempt('wrong password'), ErrorCode.LOGIN_FAILED);
    await assert.rejects(attempt(PASSWORD), { code: ErrorCode.TOO_MANY_ATTEMPTS, retryAfterMs: 1000 });
    fx.clock.advance(1000);
    await rejectsWith(attempt('wrong password'), ErrorCode.LOGIN_FAILED);
    await assert.rejects(attempt(PASSWORD), { code: ErrorCode.TOO_MANY_ATTEMPTS, retryAfterMs: 2000 });
    fx.clock.advance(2000);
    await attempt(PASSWORD);
    // A success resets the count: one failure does not lock again.
    await rejectsWith(attempt('wrong password'), ErrorCode.LOGIN_FAILED);
    await attempt(PASSWORD);
  });

  it('caps the delay at the maximum', async () => {
    const fx = await createTestService({ loginLockMaxMs: 5000 });
    await withUser(fx);
    for (let i = 0; i < 12; i++) {
      await fx.service.login({ email: 'ann@example.com', password: 'wrong password' }).catch(() => undefined);
      fx.clock.advance(900_000);
    }
    fx.clock.time -= 900_000;
    await assert.rejects(fx.service.login({ email: 'ann@example.com', password: PASSWORD }), { retryAfterMs: 5000 });
  });

  it('throttles unknown accounts exactly like known ones', async () => {
    const fx = await createTestService();
    for (let i = 0; i < 5; i++) await rejectsWith(fx.service.login({ email: 'ghost@example.com', password: 'x' }), ErrorCode.LOGIN_FAILED);
    await assert.rejects(fx.service.login({ email: 'ghost@example.com', password: 'x' }), { code: ErrorCode.TOO_MANY_ATTEMPTS, retryAfterMs: 1000 });
  });
});

describe('ValidateToken', () => {
  it('answers active with the token facts, and the user on request', async () => {
    const fx = await createTestService();
    const user = await withUser(fx);
    const { token } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD, ttlSeconds: 60 });
    const result = await fx.service.validateToken({ accessToken: token.id, includeUser: true });
    assert.deepEqual(result, {
      active: true,
      userId: user.id,
      realm: '',
      scopes: [],
      created: token.created,
      expiresAt: token.expiresAt,
      ttlSeconds: 60,
      user,
    });
  });

  it('answers inactive for unknown, malformed and expired tokens', async () => {
    const fx = await createTestService();
    await withUser(fx);
    const { token } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD, ttlSeconds: 1 });
    for (const accessToken of ['x'.repeat(64), 'short', '{"$ne":null}', `${token.id}x`]) {
      assert.deepEqual(await fx.service.validateToken({ accessToken }), { active: false });
    }
    fx.clock.advance(999);
    assert.equal((await fx.service.validateToken({ accessToken: token.id })).active, true);
    fx.clock.advance(1);
    assert.equal((await fx.service.validateToken({ accessToken: token.id })).active, false);
  });

  it('refuses an empty token', async () => {
    const fx = await createTestService();
    await rejectsWith(fx.service.validateToken({ accessToken: '' }), ErrorCode.INVALID_ARGUMENT);
  });
});

describe('Logout', () => {
  it('revokes the token; a second logout is refused', async () => {
    const fx = await createTestService();
    await withUser(fx);
    const { token } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD });
    const other = await fx.service.login({ email: 'ann@example.com', password: PASSWORD });
    assert.equal(await fx.service.logout(token.id), 1);
    assert.equal((await fx.service.validateToken({ accessToken: token.id })).active, false);
    assert.equal((await fx.service.validateToken({ accessToken: other.token.id })).active, true);
    await rejectsWith(fx.service.logout(token.id), ErrorCode.INVALID_TOKEN);
    await rejectsWith(fx.service.logout(''), ErrorCode.INVALID_TOKEN);
  });

  it('with all sessions revokes every token of the user and counts them', async () => {
    const fx = await createTestService();
    await withUser(fx);
    await withUser(fx, 'bob@example.com');
    const tokens = await Promise.all([1, 2, 3].map(() => fx.service.login({ email: 'ann@example.com', password: PASSWORD })));
    const bob = await fx.service.login({ email: 'bob@example.com', password: PASSWORD });
    assert.equal(await fx.service.logout(tokens[0]?.token.id ?? "", true), 3);
    for (const { token } of tokens) assert.equal((await fx.service.validateToken({ accessToken: token.id })).active, false);
    assert.equal((await fx.service.validateToken({ accessToken: bob.token.id })).active, true);
  });

  it('refuses an expired token', async () => {
    const fx = await createTestService();
    await withUser(fx);
    const { token } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD, ttlSeconds: 5 });
    fx.clock.advance(5000);
    await rejectsWith(fx.service.logout(token.id), ErrorCode.INVALID_TOKEN);
  });
});

describe('ResetPassword and SetPassword', () => {
  it('issues a single-use reset-password token for a real user only', async () => {
    const fx = await createTestService();
    const user = await withUser(fx);
    await fx.service.resetPassword('nobody@example.com');
    assert.equal(fx.notifier.sent.length, 0);
    await fx.service.resetPassword(' ANN@example.com ');
    const reset = fx.notifier.last();
    assert.equal(reset.email, 'ann@example.com');
    assert.equal(reset.userId, user.id);
    assert.equal(reset.expiresAt.getTime(), fx.clock.time + 900_000);
    assert.deepEqual(await fx.service.validateToken({ accessToken: reset.token }), { active: false });
    const scoped = await fx.service.validateToken({ accessToken: reset.token, requiredScopes: ['reset-password'] });
    assert.equal(scoped.active && scoped.scopes[0], 'reset-password');
  });

  it('does not let a reset token act as an access token', async () => {
    const fx = await createTestService();
    await withUser(fx);
    await fx.service.resetPassword('ann@example.com');
    const { token } = fx.notifier.last();
    await rejectsWith(fx.service.logout(token), ErrorCode.INVALID_TOKEN);
    await rejectsWith(fx.service.changePassword(token, PASSWORD, 'new password 1'), ErrorCode.INVALID_TOKEN);
  });

  it('sets the password, revokes every session, and refuses the token a second time', async () => {
    const fx = await createTestService();
    await withUser(fx);
    const { token: session } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD });
    await fx.service.resetPassword('ann@example.com');
    const { token } = fx.notifier.last();
    await fx.service.setPassword(token, 'brand new password');
    assert.equal((await fx.service.validateToken({ accessToken: session.id })).active, false);
    await rejectsWith(fx.service.setPassword(token, 'another password'), ErrorCode.INVALID_TOKEN);
    await rejectsWith(fx.service.login({ email: 'ann@example.com', password: PASSWORD }), ErrorCode.LOGIN_FAILED);
    await fx.service.login({ email: 'ann@example.com', password: 'brand new password' });
  });

  it('keeps the reset token when the new password is refused', async () => {
    const fx = await createTestService();
    await withUser(fx);
    await fx.service.resetPassword('ann@example.com');
    const { token } = fx.notifier.last();
    await rejectsWith(fx.service.setPassword(token, 'short'), ErrorCode.PASSWORD_TOO_SHORT);
    await fx.service.setPassword(token, 'long enough now');
  });

  it('refuses an access token and an expired reset token', async () => {
    const fx = await createTestService();
    await withUser(fx);
    const { token: session } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD });
    await rejectsWith(fx.service.setPassword(session.id, 'brand new password'), ErrorCode.INVALID_TOKEN);
    assert.equal((await fx.service.validateToken({ accessToken: session.id })).active, true);
    await fx.service.resetPassword('ann@example.com');
    fx.clock.advance(900_000);
    await rejectsWith(fx.service.setPassword(fx.notifier.last().token, 'brand new password'), ErrorCode.INVALID_TOKEN);
  });

  it('lets exactly one of two concurrent calls with one token win', async () => {
    const fx = await createTestService();
    await withUser(fx);
    await fx.service.resetPassword('ann@example.com');
    const { token } = fx.notifier.last();
    const results = await Promise.allSettled([
      fx.service.setPassword(token, 'first new password'),
      fx.service.setPassword(token, 'second new password'),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const loser = results.find((r) => r.status === 'rejected');
    assert.equal((loser as PromiseRejectedResult).reason.code, ErrorCode.INVALID_TOKEN);
  });

  it('notifies at most 3 times per email in 15 minutes, silently', async () => {
    const fx = await createTestService();
    await withUser(fx);
    for (let i = 0; i < 5; i++) await fx.service.resetPassword('ann@example.com');
    assert.equal(fx.notifier.sent.length, 3);
    fx.clock.advance(900_001);
    await fx.service.resetPassword('ann@example.com');
    assert.equal(fx.notifier.sent.length, 4);
  });

  it('refuses a malformed email', async () => {
    const fx = await createTestService();
    await rejectsWith(fx.service.resetPassword('nope'), ErrorCode.INVALID_EMAIL);
  });
});

describe('ChangePassword', () => {
  it('checks the old password, keeps the current token and revokes the others', async () => {
    const fx = await createTestService();
    await withUser(fx);
    const { token: current } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD });
    const { token: other } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD });
    await rejectsWith(fx.service.changePassword(current.id, 'wrong password', 'brand new password'), ErrorCode.INVALID_PASSWORD);
    await rejectsWith(fx.service.changePassword(current.id, '', 'brand new password'), ErrorCode.PASSWORD_REQUIRED);
    await rejectsWith(fx.service.changePassword(current.id, PASSWORD, 'short'), ErrorCode.PASSWORD_TOO_SHORT);
    assert.equal((await fx.service.validateToken({ accessToken: other.id })).active, true);
    await fx.service.changePassword(current.id, PASSWORD, 'brand new password');
    assert.equal((await fx.service.validateToken({ accessToken: current.id })).active, true);
    assert.equal((await fx.service.validateToken({ accessToken: other.id })).active, false);
    await fx.service.login({ email: 'ann@example.com', password: 'brand new password' });
  });

  it('counts wrong old passwords against the login lock of the account', async () => {
    const fx = await createTestService();
    await withUser(fx);
    const { token } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD });
    for (let i = 0; i < 5; i++) {
      await rejectsWith(fx.service.changePassword(token.id, 'guessed password', 'brand new password'), ErrorCode.INVALID_PASSWORD);
    }
    await rejectsWith(fx.service.changePassword(token.id, PASSWORD, 'brand new password'), ErrorCode.TOO_MANY_ATTEMPTS);
    await rejectsWith(fx.service.login({ email: 'ann@example.com', password: PASSWORD }), ErrorCode.TOO_MANY_ATTEMPTS);
  });

  it('refuses an invalid token', async () => {
    const fx = await createTestService();
    await rejectsWith(fx.service.changePassword('x'.repeat(64), PASSWORD, 'brand new password'), ErrorCode.INVALID_TOKEN);
  });
});
