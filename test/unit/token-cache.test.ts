import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachingTokenStore } from '../../src/storage/tokens/cache.js';
import { MemoryTokenStore } from '../../src/storage/tokens/memory.js';
import type { TokenRecord } from '../../src/storage/tokens/port.js';
import { MemoryUserStore } from '../../src/storage/users/memory.js';
import { createTestService } from '../support/service.js';
import { token } from '../storage/contracts/fixtures.js';

const TTL_MS = 1000;
const PASSWORD = 'correct horse';

/** A memory token store that counts lookups and can hold a lookup or a take at a gate. */
class SpyStore extends MemoryTokenStore {
  finds = 0;
  /** While set, findToken reads at once but answers only when the gate opens: a slow database reply. */
  findGate: Promise<void> | undefined;
  /** While set, takeToken waits for the gate before it deletes: a slow database write. */
  takeGate: Promise<void> | undefined;

  override async find(hash: string): Promise<TokenRecord | undefined> {
    this.finds++;
    const held = this.findGate;
    const record = await super.find(hash);
    await held;
    return record;
  }

  override async take(hash: string): Promise<TokenRecord | undefined> {
    await this.takeGate;
    return super.take(hash);
  }
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function setup(maxEntries = 100) {
  const inner = new SpyStore();
  const clock = { time: 1_000_000 }; // a monotonic clock well past 0, as performance.now() is
  const lookups: string[] = [];
  const cache = new CachingTokenStore(inner, {
    ttlMs: TTL_MS,
    maxEntries,
    now: () => clock.time,
    onLookup: (result) => lookups.push(result),
  });
  return { inner, cache, clock, lookups };
}

describe('CachingTokenStore', () => {
  it('serves a found token from the cache within ttl without asking the inner store', async () => {
    const { inner, cache, clock } = setup();
    const t = token();
    await cache.insert(t);
    assert.deepEqual(await cache.find(t.hash), t);
    clock.time += TTL_MS - 1;
    assert.deepEqual(await cache.find(t.hash), t);
    assert.equal(inner.finds, 1);
  });

  it('asks the inner store again once ttl has passed', async () => {
    const { inner, cache, clock } = setup();
    const t = token();
    await cache.insert(t);
    await cache.find(t.hash);
    clock.time += TTL_MS + 1;
    assert.deepEqual(await cache.find(t.hash), t);
    assert.equal(inner.finds, 2);
    clock.time += TTL_MS - 1;
    await cache.find(t.hash);
    assert.equal(inner.finds, 2, 'the reload starts a new ttl');
  });

  it('serves a token revoked on another replica until ttl, and not after', async () => {
    const { inner, cache, clock } = setup();
    const t = token();
    await inner.insert(t);
    await cache.find(t.hash);
    await inner.take(t.hash); // another replica's logout: this cache does not see it
    clock.time += TTL_MS; // lru-cache counts an entry exactly ttl old as fresh: the bound is inclusive
    assert.deepEqual(await cache.find(t.hash), t);
    clock.time += 1;
    assert.equal(await cache.find(t.hash), undefined);
  });

  it('never caches "not found": a token issued on another replica is found at once', async () => {
    const { inner, cache } = setup();
    const t = token();
    assert.equal(await cache.find(t.hash), undefined);
    await inner.insert(t);
    assert.deepEqual(await cache.find(t.hash), t);
    assert.equal(inner.finds, 2);
  });

  it('revokes at once through takeToken', async () => {
    const { cache } = setup();
    const t = token();
    await cache.insert(t);
    await cache.find(t.hash);
    assert.deepEqual(await cache.take(t.hash), t);
    assert.equal(await cache.find(t.hash), undefined);
    assert.equal(await cache.take(t.hash), undefined);
  });

  it("revokes a user's tokens at once through deleteUserTokens, except keepHash and other users' tokens", async () => {
    const { inner, cache } = setup();
    const keep = token({ userId: 'me' });
    const other = token({ userId: 'me' });
    const eternal = token({ userId: 'me', ttlSeconds: -1, expiresAt: undefined });
    const theirs = token({ userId: 'them' });
    for (const t of [keep, other, eternal, theirs]) {
      await cache.insert(t);
      await cache.find(t.hash);
    }
    assert.equal(await cache.deleteByUser('me', keep.hash), 2);
    const finds = inner.finds;
    assert.equal(await cache.find(other.hash), undefined);
    assert.equal(await cache.find(eternal.hash), undefined);
    assert.deepEqual(await cache.find(keep.hash), keep);
    assert.deepEqual(await cache.find(theirs.hash), theirs);
    assert.equal(inner.finds, finds + 2, 'the kept token and the other user\'s stay cached');
    assert.equal(await cache.deleteByUser('me'), 1);
    assert.equal(await cache.find(keep.hash), undefined);
  });

  it('does not cache a lookup that was in flight while a revocation ran', async () => {
    const { inner, cache } = setup();
    const t = token();
    await cache.insert(t);
    const slow = gate();
    inner.findGate = slow.promise;
    const inFlight = cache.find(t.hash); // reads the token, answers later
    inner.findGate = undefined;
    await cache.take(t.hash);
    slow.open();
    assert.deepEqual(await inFlight, t, 'it read before the revocation');
    assert.equal(await cache.find(t.hash), undefined);
  });

  it('does not cache a lookup that was in flight while deleteUserTokens ran', async () => {
    const { inner, cache } = setup();
    const t = token({ userId: 'me' });
    await cache.insert(t);
    const slow = gate();
    inner.findGate = slow.promise;
    const inFlight = cache.find(t.hash);
    inner.findGate = undefined;
    await cache.deleteByUser('me');
    slow.open();
    await inFlight;
    assert.equal(await cache.find(t.hash), undefined);
  });

  it('drops what a lookup cached while a revocation was still running', async () => {
    const { inner, cache } = setup();
    const t = token();
    await cache.insert(t);
    const slow = gate();
    inner.takeGate = slow.promise;
    const taking = cache.take(t.hash); // not yet deleted in the inner store
    assert.deepEqual(await cache.find(t.hash), t, 'a lookup during the take still finds it');
    slow.open();
    assert.deepEqual(await taking, t);
    assert.equal(await cache.find(t.hash), undefined);
  });

  it('revokes at once through takeSession, and does not cache a lookup in flight meanwhile', async () => {
    const { inner, cache } = setup();
    const t = token({ userId: 'me' });
    await cache.insert(t);
    await cache.find(t.hash);
    const held = gate();
    inner.findGate = held.promise;
    await cache.find(t.hash); // a hit: answered from the cache
    const other = token({ userId: 'me' });
    await cache.insert(other);
    const lookup = cache.find(other.hash);
    assert.deepEqual(await cache.takeSession('me', t.sessionId), t);
    assert.deepEqual(await cache.takeSession('me', other.sessionId), other);
    held.open();
    assert.deepEqual(await lookup, other, 'read before the take');
    inner.findGate = undefined;
    assert.equal(await cache.find(t.hash), undefined);
    assert.equal(await cache.find(other.hash), undefined);
  });

  it('a use recorded through the cache shows in the cached record, which it does not make live again', async () => {
    const { inner, cache } = setup();
    const t = token({ userId: 'me' });
    await cache.insert(t);
    await cache.find(t.hash);
    const later = new Date(t.lastUsed.getTime() + 60_000);
    await cache.touch(t.hash, later);
    const finds = inner.finds;
    assert.deepEqual((await cache.find(t.hash))?.lastUsed, later);
    assert.equal(inner.finds, finds, 'still a hit');
    assert.equal(await cache.deleteByUser('me'), 1, 'still indexed by user');
    await cache.touch(t.hash, new Date(later.getTime() + 60_000));
    assert.equal(await cache.find(t.hash), undefined);
  });

  it('holds at most maxEntries tokens, dropping the least recently used', async () => {
    const { inner, cache } = setup(2);
    const [a, b, c] = [token(), token(), token()];
    for (const t of [a, b]) {
      await cache.insert(t);
      await cache.find(t.hash);
    }
    await cache.find(a.hash); // now b is the least recently used
    await cache.insert(c);
    await cache.find(c.hash);
    const finds = inner.finds;
    await cache.find(a.hash);
    await cache.find(c.hash);
    assert.equal(inner.finds, finds, 'a and c are cached');
    await cache.find(b.hash);
    assert.equal(inner.finds, finds + 1, 'b was dropped');
  });

  it('reports every lookup as a hit or a miss', async () => {
    const { cache, lookups } = setup();
    const t = token();
    await cache.insert(t);
    await cache.find(t.hash);
    await cache.find(t.hash);
    await cache.find(token().hash);
    assert.deepEqual(lookups, ['miss', 'hit', 'miss']);
  });
});

describe('the core over the token cache', () => {
  async function cachedService(inner = new SpyStore(), users = new MemoryUserStore()) {
    const clock = { time: 1_000_000 }; // a monotonic clock well past 0, as performance.now() is
    const tokens = new CachingTokenStore(inner, { ttlMs: TTL_MS, maxEntries: 100, now: () => clock.time });
    const fx = await createTestService({}, { tokens, users });
    return { ...fx, inner, cacheClock: clock };
  }

  async function loginAs(fx: Awaited<ReturnType<typeof cachedService>>, email: string): Promise<string> {
    return (await fx.service.login({ email, password: PASSWORD })).token.id;
  }

  const isActive = async (fx: Awaited<ReturnType<typeof cachedService>>, accessToken: string) =>
    (await fx.service.validateToken({ accessToken })).active;

  it('validates from the cache, and a logout on the same service takes effect at once', async () => {
    const fx = await cachedService();
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const id = await loginAs(fx, 'ann@example.com');
    assert.equal(await isActive(fx, id), true);
    const finds = fx.inner.finds;
    assert.equal(await isActive(fx, id), true);
    assert.equal(fx.inner.finds, finds, 'the second validation was a hit');
    assert.equal(await fx.service.logout(id), 1);
    assert.equal(await isActive(fx, id), false);
  });

  it('logout of all sessions revokes every cached token of the user at once', async () => {
    const fx = await cachedService();
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const [first, second] = [await loginAs(fx, 'ann@example.com'), await loginAs(fx, 'ann@example.com')];
    for (const id of [first, second]) assert.equal(await isActive(fx, id), true);
    assert.equal(await fx.service.logout(first, true), 2);
    for (const id of [first, second]) assert.equal(await isActive(fx, id), false);
  });

  it('changePassword revokes the other sessions at once and keeps the current one', async () => {
    const fx = await cachedService();
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const [current, other] = [await loginAs(fx, 'ann@example.com'), await loginAs(fx, 'ann@example.com')];
    for (const id of [current, other]) assert.equal(await isActive(fx, id), true);
    await fx.service.changePassword(current, PASSWORD, 'battery staple');
    assert.equal(await isActive(fx, other), false);
    assert.equal(await isActive(fx, current), true);
  });

  it('setPassword uses the reset token once and revokes every session at once', async () => {
    const fx = await cachedService();
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const session = await loginAs(fx, 'ann@example.com');
    assert.equal(await isActive(fx, session), true);
    await fx.service.resetPassword('ann@example.com');
    const resetToken = fx.notifier.last().token;
    assert.equal((await fx.service.validateToken({ accessToken: resetToken, requiredScopes: ['reset-password'] })).active, true);
    await fx.service.setPassword(resetToken, 'battery staple');
    assert.equal(await isActive(fx, session), false);
    assert.equal((await fx.service.validateToken({ accessToken: resetToken, requiredScopes: ['reset-password'] })).active, false);
  });

  it('a logout on another replica takes effect here within ttl', async () => {
    const shared = new SpyStore();
    const users = new MemoryUserStore();
    const here = await cachedService(shared, users);
    const there = await cachedService(shared, users);
    await here.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const id = await loginAs(here, 'ann@example.com');
    assert.equal(await isActive(here, id), true);
    await there.service.logout(id);
    assert.equal(await isActive(there, id), false);
    here.cacheClock.time += TTL_MS;
    assert.equal(await isActive(here, id), true, 'stale, within the bound (lru-cache counts an entry exactly ttl old as fresh)');
    here.cacheClock.time += 1;
    assert.equal(await isActive(here, id), false);
  });

  it('never makes an expired token valid', async () => {
    const fx = await cachedService();
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const { token: issued } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD, ttlSeconds: 60 });
    assert.equal(await isActive(fx, issued.id), true);
    fx.clock.advance(60_000);
    assert.equal(await isActive(fx, issued.id), false);
  });
});
