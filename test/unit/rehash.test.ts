import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bcrypt from 'bcrypt';
import { AuthError, ErrorCode } from '../../src/core/errors.js';
import type { RehashOutcome } from '../../src/core/events.js';
import { MemoryUserStore } from '../../src/storage/users/memory.js';
import { createTestService, type ServiceFixture } from '../support/service.js';

const PASSWORD = 'correct horse';

/** A user made at bcrypt cost 4, then a service at cost 5 on the same users: every stored hash is weaker than it makes. */
async function costRaised() {
  const users = new MemoryUserStore();
  const before = await createTestService({}, { users }, 4);
  const created = await before.service.createUser({ email: 'ann@example.com', password: PASSWORD });
  const fx = await createTestService({}, { users }, 5);
  const outcomes: RehashOutcome[] = [];
  fx.context.events = { ...fx.context.events, passwordRehashed: (outcome) => outcomes.push(outcome) };
  return { fx, users, userId: created.id, outcomes };
}

const storedHash = async (users: MemoryUserStore, id: string) => (await users.findById(id))?.passwordHash ?? '';
const login = (fx: ServiceFixture, password = PASSWORD) => fx.service.login({ email: 'ann@example.com', password });

describe('rehash on login', () => {
  it('stores a hash at the configured cost after a successful login, once', async () => {
    const { fx, users, userId, outcomes } = await costRaised();
    assert.match(await storedHash(users, userId), /^\$2b\$04\$/);
    await assert.rejects(login(fx, 'wrong password'), { code: ErrorCode.LOGIN_FAILED });
    assert.match(await storedHash(users, userId), /^\$2b\$04\$/, 'a failed login changes nothing');
    await login(fx);
    const rehashed = await storedHash(users, userId);
    assert.match(rehashed, /^\$2b\$05\$/);
    assert.equal(await bcrypt.compare(PASSWORD, rehashed), true);
    await login(fx);
    assert.equal(await storedHash(users, userId), rehashed, 'a hash at the cost is kept');
    assert.deepEqual(outcomes, ['stored']);
  });

  it('replaces an older bcrypt prefix ($2a$, as LoopBack and bcryptjs write) at the same cost', async () => {
    const users = new MemoryUserStore();
    const fx = await createTestService({}, { users }, 4);
    const created = await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const stored = await storedHash(users, created.id);
    // As an import from LoopBack leaves it: the same password, hashed by bcryptjs.
    await users.replacePasswordHash(created.id, stored, stored.replace(/^\$2b\$/, '$2a$'));
    await login(fx);
    assert.match(await storedHash(users, created.id), /^\$2b\$04\$/);
  });

  it('never overwrites a password changed while the rehash ran', async () => {
    const { fx, users, userId, outcomes } = await costRaised();
    const hasher = fx.context.hasher;
    const changed = await bcrypt.hash('changed meanwhile', 4);
    fx.context.hasher = {
      ...hasher,
      hash: async (password, call) => {
        const fresh = await hasher.hash(password, call);
        await users.setPasswordHash(userId, changed, new Date()); // a ChangePassword that lands first
        return fresh;
      },
    };
    await login(fx);
    assert.equal(await storedHash(users, userId), changed);
    assert.deepEqual(outcomes, ['superseded']);
  });

  it('rehashes once for two logins at once; both log in, and the password still works', async () => {
    const { fx, users, userId, outcomes } = await costRaised();
    const results = await Promise.all([login(fx), login(fx)]);
    assert.equal(results.length, 2);
    assert.equal(outcomes.filter((o) => o === 'stored').length, 1);
    assert.ok(outcomes.length <= 2);
    assert.match(await storedHash(users, userId), /^\$2b\$05\$/);
    await login(fx);
  });

  it('logs in with the old hash kept when the rehash cannot run now; a caller who left gets nothing', async () => {
    const { fx, users, userId } = await costRaised();
    const old = await storedHash(users, userId);
    const hasher = fx.context.hasher;
    fx.context.hasher = { ...hasher, hash: async () => Promise.reject(new AuthError(ErrorCode.SERVICE_OVERLOADED, 'busy')) };
    assert.ok((await login(fx)).token.id);
    assert.equal(await storedHash(users, userId), old);
    fx.context.hasher = { ...hasher, hash: async () => Promise.reject(new AuthError(ErrorCode.CANCELLED, 'gone')) };
    await assert.rejects(login(fx), { code: ErrorCode.CANCELLED });
  });
});
