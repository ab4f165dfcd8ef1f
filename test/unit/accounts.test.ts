/** GetUser, UpdateUser and DeleteUser: a user's own account, on the in-memory store. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { createTestService, type ServiceFixture } from '../support/service.js';

const PASSWORD = 'correct horse';

/** A user with two sessions, and a stranger with one. */
async function accounts(fx: ServiceFixture) {
  const user = await fx.service.createUser({ email: 'ann@example.com', username: 'ann', password: PASSWORD });
  const session = (await fx.service.login({ email: 'ann@example.com', password: PASSWORD })).token.id;
  const otherSession = (await fx.service.login({ email: 'ann@example.com', password: PASSWORD })).token.id;
  await fx.service.createUser({ email: 'bob@example.com', username: 'bob', password: PASSWORD });
  const strangerSession = (await fx.service.login({ email: 'bob@example.com', password: PASSWORD })).token.id;
  return { user, session, otherSession, strangerSession };
}

const isActive = async (fx: ServiceFixture, accessToken: string) => (await fx.service.validateToken({ accessToken })).active;

const authorizationRequired = { code: ErrorCode.AUTHORIZATION_REQUIRED, message: 'Authorization Required' };

describe("the owner's account", () => {
  it('is read with one of its access tokens, and by no one else, alike for unknown ids', async () => {
    const fx = await createTestService({ defaultTtlSeconds: 60 });
    const { user, session, strangerSession } = await accounts(fx);
    assert.deepEqual(await fx.service.getUser(session, user.id), user);
    await fx.service.resetPassword('ann@example.com');
    const refused = ['', 'A'.repeat(64), 'not a token', strangerSession, fx.notifier.last().token];
    for (const token of refused) await assert.rejects(fx.service.getUser(token, user.id), authorizationRequired);
    await assert.rejects(fx.service.getUser(session, 'no-such-user'), authorizationRequired);
    fx.clock.advance(60_000);
    await assert.rejects(fx.service.getUser(session, user.id), authorizationRequired, 'an expired token');
  });

  it('takes a new email normalized: unverified, the other sessions revoked, the one used kept', async () => {
    const fx = await createTestService();
    const { user, session, otherSession } = await accounts(fx);
    await fx.store.users.update(user.id, { emailVerified: true });
    const updated = await fx.service.updateUser(session, user.id, { email: '  Ann.New@Example.com ' });
    assert.deepEqual(updated, { ...user, email: 'ann.new@example.com', emailVerified: false });
    assert.equal(await isActive(fx, session), true);
    assert.equal(await isActive(fx, otherSession), false);
    await fx.service.login({ email: 'ann.new@example.com', password: PASSWORD });
    await assert.rejects(fx.service.login({ email: 'ann@example.com', password: PASSWORD }), { code: ErrorCode.LOGIN_FAILED });
  });

  it('keeps sessions and verification when the email is the same after normalization, or only the username changes', async () => {
    const fx = await createTestService();
    const { user, session, otherSession } = await accounts(fx);
    await fx.store.users.update(user.id, { emailVerified: true });
    assert.deepEqual(await fx.service.updateUser(session, user.id, { email: 'ANN@example.com' }), { ...user, emailVerified: true });
    assert.deepEqual(await fx.service.updateUser(session, user.id, {}), { ...user, emailVerified: true });
    const renamed = await fx.service.updateUser(session, user.id, { username: 'ann_2' });
    assert.equal(renamed.username, 'ann_2');
    assert.equal(renamed.emailVerified, true);
    assert.equal(await isActive(fx, otherSession), true);
    assert.equal((await fx.service.login({ username: 'ann_2', password: PASSWORD })).token.userId, user.id);
  });

  it('refuses taken and malformed values, and changes nothing then', async () => {
    const fx = await createTestService();
    const { user, session, otherSession } = await accounts(fx);
    await assert.rejects(fx.service.updateUser(session, user.id, { email: 'BOB@example.com' }), { code: ErrorCode.EMAIL_EXISTS });
    await assert.rejects(fx.service.updateUser(session, user.id, { username: 'bob' }), { code: ErrorCode.USERNAME_EXISTS });
    await assert.rejects(fx.service.updateUser(session, user.id, { email: 'not-an-email' }), { code: ErrorCode.INVALID_EMAIL });
    await assert.rejects(fx.service.updateUser(session, user.id, { email: '' }), { code: ErrorCode.INVALID_EMAIL });
    await assert.rejects(fx.service.updateUser(session, user.id, { username: 'has space' }), { code: ErrorCode.INVALID_ARGUMENT });
    await assert.rejects(fx.service.updateUser(session, user.id, { username: '' }), { code: ErrorCode.INVALID_ARGUMENT });
    assert.deepEqual(await fx.service.getUser(session, user.id), user);
    assert.equal(await isActive(fx, otherSession), true);
  });

  it("is changed by its owner only, who is checked before the values (LoopBack's ACL first)", async () => {
    const fx = await createTestService();
    const { user, strangerSession } = await accounts(fx);
    await assert.rejects(fx.service.updateUser(strangerSession, user.id, { email: 'not-an-email' }), authorizationRequired);
    await assert.rejects(fx.service.updateUser('', user.id, { username: 'x' }), authorizationRequired);
  });

  it('is deleted by its owner with every token of it, reset tokens too; the email is free again', async () => {
    const fx = await createTestService();
    const { user, session, otherSession, strangerSession } = await accounts(fx);
    await fx.service.resetPassword('ann@example.com');
    const resetToken = fx.notifier.last().token;
    await assert.rejects(fx.service.deleteUser(strangerSession, user.id), authorizationRequired);
    assert.equal(await fx.service.deleteUser(session, user.id), 1);
    assert.equal(fx.notifier.last('user-deleted').userId, user.id, "AdminService's DeleteUser and this are one use case");
    for (const token of [session, otherSession]) assert.equal(await isActive(fx, token), false);
    assert.equal((await fx.service.validateToken({ accessToken: resetToken, requiredScopes: ['reset-password'] })).active, false);
    assert.equal(await isActive(fx, strangerSession), true);
    await assert.rejects(fx.service.login({ email: 'ann@example.com', password: PASSWORD }), { code: ErrorCode.LOGIN_FAILED });
    await fx.service.createUser({ email: 'ann@example.com', username: 'ann', password: PASSWORD });
  });

  it('is deleted again, tokens included, when a delete failed between the user and its tokens', async () => {
    const fx = await createTestService();
    const { user, session, otherSession } = await accounts(fx);
    await fx.store.users.delete(user.id); // as if the tokens' deletion had then failed
    assert.equal(await fx.service.deleteUser(session, user.id), 0);
    assert.equal(await isActive(fx, otherSession), false);
  });
});
