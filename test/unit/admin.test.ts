import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAdminCore } from '../../src/core/auth-core.js';
import { ErrorCode } from '../../src/core/errors.js';
import { hashToken } from '../../src/core/sessions/token-format.js';
import { createTestService } from '../support/service.js';

const PASSWORD = 'correct horse';

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: { code?: string }) => {
    assert.equal(err.code, code);
    return true;
  });
}

async function withAdmin() {
  const fx = await createTestService();
  const admin = createAdminCore(fx.context);
  const revoked: string[] = [];
  fx.context.events = { ...fx.context.events, sessionsRevoked: (reason, count) => revoked.push(`${reason}:${count}`) };
  const ann = await fx.service.createUser({ email: 'ann@example.com', username: 'Ann', password: PASSWORD });
  const login = () => fx.service.login({ email: 'ann@example.com', password: PASSWORD });
  return { fx, admin, ann, login, revoked };
}

describe('AdminService use cases', () => {
  it('reads a user by id, or by email or username as Login finds them, with its live sessions', async () => {
    const { fx, admin, ann, login } = await withAdmin();
    await login();
    await login();
    const byId = await admin.getUser(ann.id);
    assert.deepEqual(byId, { ...ann, disabled: false, sessions: 2 });
    assert.equal(Object.keys(byId).includes('passwordHash'), false);
    assert.deepEqual(await admin.findUser({ email: ' ANN@example.com ' }), byId);
    assert.deepEqual(await admin.findUser({ username: 'aNN' }), byId);
    await rejectsWith(admin.findUser({ email: 'ann@example.com', realm: 'other' }), ErrorCode.USER_NOT_FOUND);
    await rejectsWith(admin.getUser('0'.repeat(24)), ErrorCode.USER_NOT_FOUND);
    await rejectsWith(admin.getUser(''), ErrorCode.INVALID_ARGUMENT);
    await rejectsWith(admin.findUser({}), ErrorCode.USERNAME_EMAIL_REQUIRED);
    await rejectsWith(admin.findUser({ email: 'not an email' }), ErrorCode.INVALID_EMAIL);
    fx.clock.advance(14 * 24 * 3600_000);
    assert.equal((await admin.getUser(ann.id)).sessions, 0, 'expired sessions are not counted');
  });

  it('disables an account: the right password fails as a wrong one, old tokens are dead, nothing is sent; enabling lets it in again', async () => {
    const { fx, admin, ann, login, revoked } = await withAdmin();
    const old = (await login()).token.id;
    const { user, revoked: count } = await admin.disableUser(ann.id);
    assert.deepEqual([user.disabled, user.sessions, count], [true, 0, 1]);
    assert.deepEqual(revoked, ['user-disabled:1']);
    await rejectsWith(login(), ErrorCode.LOGIN_FAILED);
    assert.equal((await fx.service.validateToken({ accessToken: old })).active, false);
    await rejectsWith(fx.service.logout(old), ErrorCode.INVALID_TOKEN);
    const sent = fx.notifier.sent.length;
    await fx.service.resetPassword('ann@example.com');
    await fx.service.requestEmailVerification('ann@example.com');
    assert.deepEqual(fx.notifier.sent.slice(sent).map((n) => n.type), [], 'no reset or verification for a disabled account');
    assert.equal(fx.notifier.last('user-disabled').userId, ann.id);

    assert.equal((await admin.enableUser(ann.id)).disabled, false);
    assert.ok((await login()).token.id);
    assert.equal((await fx.service.validateToken({ accessToken: old })).active, false, 'revoked tokens stay revoked');
    assert.equal(fx.notifier.last('user-enabled').userId, ann.id);
    await rejectsWith(admin.disableUser('no-such-user'), ErrorCode.USER_NOT_FOUND);
    await rejectsWith(admin.enableUser(''), ErrorCode.INVALID_ARGUMENT);
  });

  it('counts a disabled account’s right password as a failure for its lock, as a wrong one would', async () => {
    const { admin, ann, login } = await withAdmin();
    await admin.disableUser(ann.id);
    for (let i = 0; i < 5; i++) await rejectsWith(login(), ErrorCode.LOGIN_FAILED);
    await rejectsWith(login(), ErrorCode.TOO_MANY_ATTEMPTS);
  });

  it('keeps no token from a login that raced DisableUser', async () => {
    const { fx, admin, ann } = await withAdmin();
    const hasher = fx.context.hasher;
    let disabled: Promise<unknown> = Promise.resolve();
    fx.context.hasher = {
      ...hasher,
      // The password is checked against the user read before DisableUser ran; the token is issued after.
      verify: async (password, hash, call) => {
        const ok = await hasher.verify(password, hash, call);
        disabled = admin.disableUser(ann.id);
        await disabled;
        return ok;
      },
    };
    await rejectsWith(fx.service.login({ email: 'ann@example.com', password: PASSWORD }), ErrorCode.LOGIN_FAILED);
    await disabled;
    assert.deepEqual(await fx.store.tokens.listByUser(ann.id), []);
  });

  it('deletes the user, its tokens and its counters; the email may sign up afresh', async () => {
    const { fx, admin, ann, login, revoked } = await withAdmin();
    const token = (await login()).token.id;
    await fx.service.resetPassword('ann@example.com');
    for (let i = 0; i < 2; i++) await fx.service.resetPassword('ann@example.com');
    await rejectsWith(fx.service.login({ email: 'ann@example.com', password: 'wrong password' }), ErrorCode.LOGIN_FAILED);
    assert.equal(await admin.deleteUser(ann.id), 4, 'one session and three reset tokens');
    assert.deepEqual(revoked, ['user-deleted:4']);
    assert.equal(await fx.store.tokens.find(hashToken(token)), undefined);
    await rejectsWith(admin.getUser(ann.id), ErrorCode.USER_NOT_FOUND);
    await rejectsWith(login(), ErrorCode.LOGIN_FAILED);
    await rejectsWith(admin.deleteUser(ann.id), ErrorCode.USER_NOT_FOUND);
    assert.equal(fx.notifier.last('user-deleted').userId, ann.id);

    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const sent = fx.notifier.sent.length;
    await fx.service.resetPassword('ann@example.com');
    assert.equal(fx.notifier.sent.length, sent + 1, 'the reset limit of the email was forgotten');
  });

  it('revokes every session of a user, who may log in again', async () => {
    const { fx, admin, ann, login, revoked } = await withAdmin();
    const tokens = [(await login()).token.id, (await login()).token.id];
    assert.equal(await admin.revokeUserSessions(ann.id), 2);
    for (const token of tokens) assert.equal((await fx.service.validateToken({ accessToken: token })).active, false);
    assert.equal(await admin.revokeUserSessions(ann.id), 0);
    assert.deepEqual(revoked, ['admin:2']);
    assert.ok((await login()).token.id);
    await rejectsWith(admin.revokeUserSessions('nobody'), ErrorCode.USER_NOT_FOUND);
  });
});
