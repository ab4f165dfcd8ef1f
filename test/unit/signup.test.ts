/**
 * Public sign-up (CreateUser): the limit per client address and realm, and SIGNUP=closed. Run on
 * the core with the in-memory store and a hand-moved clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { createTestService } from '../support/service.js';

const PASSWORD = 'correct horse';
const HOUR = 3600_000;

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, expected: { retryAfterMs?: number } = {}): Promise<void> {
  await assert.rejects(promise, (err: { code?: string; retryAfterMs?: number }) => {
    assert.equal(err.code, code);
    if (expected.retryAfterMs !== undefined) assert.equal(err.retryAfterMs, expected.retryAfterMs);
    return true;
  });
}

describe('sign-up limit per client address and realm', () => {
  const limited = () => createTestService({ signupMaxPerWindow: 3, signupWindowMs: HOUR });
  let n = 0;
  const signup = (fx: Awaited<ReturnType<typeof limited>>, clientAddress: string | undefined, extra: { email?: string; realm?: string } = {}) =>
    fx.service.createUser({ email: extra.email ?? `user${++n}@example.com`, password: PASSWORD, realm: extra.realm }, { clientAddress });

  it('allows signupMaxPerWindow sign-ups per window, then answers TOO_MANY_ATTEMPTS with the time left', async () => {
    const fx = await limited();
    for (let i = 0; i < 3; i++) await signup(fx, '203.0.113.7');
    fx.clock.advance(10 * 60_000);
    await rejectsWith(signup(fx, '203.0.113.7'), ErrorCode.TOO_MANY_ATTEMPTS, { retryAfterMs: 50 * 60_000 });
    fx.clock.advance(50 * 60_000);
    await signup(fx, '203.0.113.7');
  });

  it('counts each address and each realm apart', async () => {
    const fx = await limited();
    for (let i = 0; i < 3; i++) await signup(fx, '203.0.113.7');
    await rejectsWith(signup(fx, '203.0.113.7'), ErrorCode.TOO_MANY_ATTEMPTS);
    await signup(fx, '203.0.113.8');
    await signup(fx, '203.0.113.7', { realm: 'tenant-a' });
    // Realms are counted in their normalized form.
    await signup(fx, '203.0.113.7', { realm: 'TENANT-A' });
    await signup(fx, '203.0.113.7', { realm: 'ｔｅｎａｎｔ-ａ' });
    await rejectsWith(signup(fx, '203.0.113.7', { realm: 'tenant-a' }), ErrorCode.TOO_MANY_ATTEMPTS);
  });

  it('bounds what EMAIL_EXISTS reveals: probes of taken emails are counted like sign-ups', async () => {
    const fx = await limited();
    const taken = ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'];
    for (const email of taken) await fx.service.createUser({ email, password: PASSWORD });
    for (const email of taken.slice(0, 3)) await rejectsWith(signup(fx, '198.51.100.1', { email }), ErrorCode.EMAIL_EXISTS);
    // The fourth probe learns nothing about d@example.com.
    await rejectsWith(signup(fx, '198.51.100.1', { email: 'd@example.com' }), ErrorCode.TOO_MANY_ATTEMPTS);
  });

  it('does not count requests refused by the input rules', async () => {
    const fx = await limited();
    for (let i = 0; i < 5; i++) await rejectsWith(signup(fx, '203.0.113.7', { email: 'not-an-email' }), ErrorCode.INVALID_EMAIL);
    for (let i = 0; i < 3; i++) await signup(fx, '203.0.113.7');
  });

  it('counts an IPv6 client by its /64, and an IPv4-mapped address as the IPv4 one', async () => {
    const fx = await limited();
    await signup(fx, '2001:db8:1:2::1');
    await signup(fx, '2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    await signup(fx, '2001:0db8:0001:0002:0000:0000:0000:ffff');
    await rejectsWith(signup(fx, '2001:db8:1:2::9'), ErrorCode.TOO_MANY_ATTEMPTS);
    await signup(fx, '2001:db8:1:3::1');

    for (let i = 0; i < 3; i++) await signup(fx, '192.0.2.1');
    await rejectsWith(signup(fx, '::ffff:192.0.2.1'), ErrorCode.TOO_MANY_ATTEMPTS);
  });

  it('does not limit callers inside the process, which have no address', async () => {
    const fx = await limited();
    for (let i = 0; i < 5; i++) await signup(fx, undefined);
  });
});

describe('SIGNUP=closed', () => {
  it('refuses CreateUser with SIGNUP_CLOSED before looking at the request; existing accounts still log in', async () => {
    const open = await createTestService();
    await open.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const closed = await createTestService({ signupOpen: false }, open.store);
    for (const [request, clientAddress] of [
      [{ email: 'new@example.com', password: PASSWORD }, '203.0.113.7'],
      [{ email: 'ann@example.com', password: PASSWORD }, undefined],
      [{ email: 'not-an-email', password: '' }, undefined],
    ] as const) {
      await assert.rejects(closed.service.createUser(request, { clientAddress }), { code: ErrorCode.SIGNUP_CLOSED, kind: 'permission-denied', message: 'sign-up is closed' });
    }
    await closed.service.login({ email: 'ann@example.com', password: PASSWORD });
  });
});
