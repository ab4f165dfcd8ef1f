import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import type { VerificationEvent } from '../../src/core/events.js';
import { isAllowedRedirect } from '../../src/transport/http/verification-routes.js';
import { createTestService, type ServiceFixture } from '../support/service.js';

const PASSWORD = 'correct horse';

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: { code?: string }) => {
    assert.equal(err.code, code);
    return true;
  });
}

async function verifying(required = true) {
  const fx = await createTestService({ emailVerificationRequired: required });
  const events: VerificationEvent[] = [];
  fx.context.events = { ...fx.context.events, emailVerification: (event) => events.push(event) };
  return { fx, events };
}

const login = (fx: ServiceFixture, email = 'ann@example.com', password = PASSWORD) => fx.service.login({ email, password });
const tokenOf = (fx: ServiceFixture) => fx.notifier.last('email-verification').token;

describe('email verification, required', () => {
  it('sends a token at sign-up; login is refused after the right password only, until the email is confirmed', async () => {
    const { fx, events } = await verifying();
    const user = await fx.service.createUser({ email: 'Ann@Example.com', password: PASSWORD });
    const sent = fx.notifier.last('email-verification');
    assert.deepEqual([sent.email, sent.userId, sent.realm], ['ann@example.com', user.id, '']);
    assert.equal(sent.expiresAt.getTime() - fx.clock.now().getTime(), 24 * 3600_000);
    assert.match(sent.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(sent.occurredAt, fx.clock.now());

    await rejectsWith(login(fx, 'ann@example.com', 'wrong password'), ErrorCode.LOGIN_FAILED);
    await assert.rejects(login(fx), (err: { code?: string; details?: Record<string, string> }) => {
      assert.equal(err.code, ErrorCode.LOGIN_FAILED_EMAIL_NOT_VERIFIED);
      assert.deepEqual(err.details, { userId: user.id });
      return true;
    });
    // A verification token is no session.
    assert.equal((await fx.service.validateToken({ accessToken: sent.token })).active, false);

    await fx.service.confirmEmail(user.id, sent.token);
    const { token, user: shown } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD, includeUser: true });
    assert.equal(shown?.emailVerified, true);
    assert.deepEqual((await fx.service.listSessions(token.id)).map((s) => s.id), [token.sessionId]);
    await rejectsWith(fx.service.confirmEmail(user.id, sent.token), ErrorCode.INVALID_TOKEN);
    assert.deepEqual(events, ['sent', 'confirmed', 'refused']);
  });

  it("refuses another user's token, and leaves it usable by its user", async () => {
    const { fx } = await verifying();
    const ann = await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const bob = await fx.service.createUser({ email: 'bob@example.com', password: PASSWORD });
    const bobsToken = tokenOf(fx);
    await rejectsWith(fx.service.confirmEmail(ann.id, bobsToken), ErrorCode.INVALID_TOKEN);
    await rejectsWith(login(fx), ErrorCode.LOGIN_FAILED_EMAIL_NOT_VERIFIED);
    await fx.service.confirmEmail(bob.id, bobsToken);
    assert.ok((await login(fx, 'bob@example.com')).token.id);
  });

  it('refuses bad input: an empty id or token, a malformed, unknown, expired or reset token', async () => {
    const { fx } = await verifying();
    const ann = await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const token = tokenOf(fx);
    await rejectsWith(fx.service.confirmEmail('', token), ErrorCode.INVALID_ARGUMENT);
    await rejectsWith(fx.service.confirmEmail(ann.id, ''), ErrorCode.INVALID_TOKEN);
    for (const bad of ['x', 'x'.repeat(64), '{"$ne":null}', token.toLowerCase()]) {
      await rejectsWith(fx.service.confirmEmail(ann.id, bad), ErrorCode.INVALID_TOKEN);
    }
    await rejectsWith(fx.service.confirmEmail('no-such-user', token), ErrorCode.INVALID_TOKEN);
    await fx.service.resetPassword('ann@example.com');
    await rejectsWith(fx.service.confirmEmail(ann.id, fx.notifier.last('password-reset').token), ErrorCode.INVALID_TOKEN);
    fx.clock.advance(24 * 3600_000);
    await rejectsWith(fx.service.confirmEmail(ann.id, token), ErrorCode.INVALID_TOKEN);
  });

  it('lets exactly one of concurrent confirmations with one token succeed', async () => {
    const { fx } = await verifying();
    const ann = await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const token = tokenOf(fx);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => fx.service.confirmEmail(ann.id, token)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  });

  it('sends a fresh token on request, by email or by id, always answering alike; limited per email', async () => {
    const { fx, events } = await verifying();
    const ann = await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const first = tokenOf(fx);
    await fx.service.requestEmailVerification('ANN@example.com');
    const second = tokenOf(fx);
    assert.notEqual(second, first);
    await fx.service.requestEmailVerificationById(ann.id);
    await fx.service.requestEmailVerification('nobody@example.com');
    await fx.service.requestEmailVerificationById('no-such-user');
    await fx.service.requestEmailVerificationById('');
    await fx.service.requestEmailVerification('ann@example.com', 'other-realm');
    await fx.service.requestEmailVerification('ann@example.com'); // the third for this email in the window
    await fx.service.requestEmailVerificationById(ann.id); // the fourth: over the limit
    assert.equal(fx.notifier.sent.length, 4, 'sign-up and three requests');
    assert.deepEqual(events, ['sent', 'sent', 'sent', 'sent', 'limited']);
    await rejectsWith(fx.service.requestEmailVerification('not an email'), ErrorCode.INVALID_EMAIL);
    // Every token sent works until used or expired.
    await fx.service.confirmEmail(ann.id, first);
    await fx.service.requestEmailVerification('ann@example.com');
    fx.clock.advance(fx.context.policy.resetWindowMs + 1);
    await fx.service.requestEmailVerification('ann@example.com');
    assert.equal(fx.notifier.sent.length, 4, 'nothing for a verified email');
  });
});

describe('email verification, not required (the default)', () => {
  it('sends nothing at sign-up, lets unverified users log in, and still verifies on request', async () => {
    const { fx } = await verifying(false);
    const ann = await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    assert.equal(fx.notifier.sent.length, 0);
    assert.ok((await login(fx)).token.id);
    await fx.service.requestEmailVerification('ann@example.com');
    await fx.service.confirmEmail(ann.id, tokenOf(fx));
    assert.equal((await fx.service.login({ email: 'ann@example.com', password: PASSWORD, includeUser: true })).user?.emailVerified, true);
  });
});

describe('the confirm redirect', () => {
  it('goes to a path on the gateway or an allowed origin, nowhere else', () => {
    const origins = ['https://app.example.com'];
    for (const ok of ['/', '/verified?x=1', 'https://app.example.com/welcome', 'https://app.example.com']) {
      assert.equal(isAllowedRedirect(ok, origins), true, ok);
    }
    for (const bad of ['//evil.example', '/\\evil.example', '/\tx', 'https://evil.example/', 'https://app.example.com.evil.example/',
      'http://app.example.com/', 'javascript:alert(1)', 'evil.example', '']) {
      assert.equal(isAllowedRedirect(bad, origins), false, bad);
    }
  });
});
