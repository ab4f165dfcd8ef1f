import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DuplicateKeyError, type Store, type TokenRecord, type UserRecord } from '../../src/store/store.js';

export interface StoreFixture {
  store: Store;
  teardown(): Promise<void>;
}

// Whole seconds: every store keeps at least millisecond precision.
const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

export function user(overrides: Partial<UserRecord> = {}): UserRecord {
  const id = randomUUID();
  return {
    id,
    realm: '',
    email: `${id}@example.com`,
    username: undefined,
    passwordHash: '$2b$04$abcdefghijklmnopqrstuu',
    emailVerified: false,
    created: T0,
    ...overrides,
  };
}

export function token(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    hash: randomHash(),
    userId: 'user-1',
    realm: '',
    scopes: [],
    created: T0,
    ttlSeconds: 3600,
    expiresAt: at(3600),
    ...overrides,
  };
}

const randomHash = () => randomBytes(32).toString('hex');

const isDuplicate = (field: 'email' | 'username') => (err: unknown) =>
  err instanceof DuplicateKeyError && err.field === field;

/** The Store semantics every implementation keeps; each store's test file runs it. */
export function storeContract(name: string, setup: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: Store;
    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.teardown();
    });

    describe('users', () => {
      it('finds a user by id, email and username in its realm', async () => {
        const alice = user({ realm: 'r1', email: 'alice@example.com', username: 'alice', emailVerified: true });
        await store.createUser(alice);
        assert.deepEqual(await store.findUserById(alice.id), alice);
        assert.deepEqual(await store.findUserByEmail('r1', 'alice@example.com'), alice);
        assert.deepEqual(await store.findUserByUsername('r1', 'alice'), alice);
        assert.equal(await store.findUserByEmail('', 'alice@example.com'), undefined);
        assert.equal(await store.findUserByUsername('r2', 'alice'), undefined);
        assert.equal(await store.findUserById('nobody'), undefined);
      });

      it('keeps an absent username absent', async () => {
        const bob = user({ email: 'bob@example.com' });
        await store.createUser(bob);
        const found = await store.findUserByEmail('', 'bob@example.com');
        assert.deepEqual(found, bob);
        assert.equal(found?.username, undefined);
      });

      it('allows one email in two realms', async () => {
        await store.createUser(user({ realm: 'a', email: 'same@example.com', username: 'same' }));
        await store.createUser(user({ realm: 'b', email: 'same@example.com', username: 'same' }));
        assert.equal((await store.findUserByEmail('a', 'same@example.com'))?.realm, 'a');
        assert.equal((await store.findUserByEmail('b', 'same@example.com'))?.realm, 'b');
      });

      it('refuses a taken email in one realm', async () => {
        await store.createUser(user({ email: 'taken@example.com', username: 'first' }));
        await assert.rejects(store.createUser(user({ email: 'taken@example.com', username: 'second' })), isDuplicate('email'));
        await assert.rejects(store.createUser(user({ email: 'taken@example.com' })), isDuplicate('email'));
        assert.equal(await store.findUserByUsername('', 'second'), undefined);
      });

      it('refuses a taken username in one realm', async () => {
        await store.createUser(user({ username: 'carol' }));
        await assert.rejects(store.createUser(user({ username: 'carol' })), isDuplicate('username'));
        await store.createUser(user({ realm: 'other', username: 'carol' }));
      });

      it('names email first when both are taken', async () => {
        await store.createUser(user({ email: 'both@example.com', username: 'both' }));
        await assert.rejects(store.createUser(user({ email: 'both@example.com', username: 'both' })), isDuplicate('email'));
      });

      it('never lets users without a username collide', async () => {
        const many = Array.from({ length: 10 }, () => user());
        for (const u of many) await store.createUser(u);
        await Promise.all(Array.from({ length: 5 }, () => store.createUser(user({ realm: 'x' }))));
        for (const u of many) assert.deepEqual(await store.findUserById(u.id), u);
      });

      it('lets one of concurrent creations with one email win', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => store.createUser(user({ email: 'race@example.com', username: `racer${i}` }))),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(isDuplicate('email')(r.reason));
      });

      it('sets a password hash', async () => {
        const dave = user({ username: 'dave' });
        await store.createUser(dave);
        await store.setPasswordHash(dave.id, 'new-hash');
        assert.deepEqual(await store.findUserById(dave.id), { ...dave, passwordHash: 'new-hash' });
        assert.equal((await store.findUserByEmail('', dave.email))?.passwordHash, 'new-hash');
        assert.equal((await store.findUserByUsername('', 'dave'))?.passwordHash, 'new-hash');
        await store.setPasswordHash('nobody', 'x'); // unknown user: no error, no effect
      });
    });

    describe('tokens', () => {
      it('round-trips every field, eternal and scoped tokens too', async () => {
        const normal = token({ userId: 'u1', realm: 'r' });
        const eternal = token({ userId: 'u1', ttlSeconds: -1, expiresAt: undefined });
        const scoped = token({ userId: 'u2', scopes: ['reset-password', 'other'], ttlSeconds: 900, expiresAt: at(900) });
        for (const t of [normal, eternal, scoped]) await store.insertToken(t);
        assert.deepEqual(await store.findToken(normal.hash), normal);
        assert.deepEqual(await store.findToken(eternal.hash), eternal);
        assert.equal((await store.findToken(eternal.hash))?.expiresAt, undefined);
        assert.deepEqual(await store.findToken(scoped.hash), scoped);
        assert.equal(await store.findToken('0'.repeat(64)), undefined);
      });

      it('does not share the scopes array with the caller', async () => {
        const t = token({ scopes: ['a'] });
        await store.insertToken(t);
        t.scopes.push('b');
        assert.deepEqual((await store.findToken(t.hash))?.scopes, ['a']);
      });

      it('takes a token once', async () => {
        const t = token();
        await store.insertToken(t);
        assert.deepEqual(await store.takeToken(t.hash), t);
        assert.equal(await store.takeToken(t.hash), undefined);
        assert.equal(await store.findToken(t.hash), undefined);
      });

      it('gives a token to exactly one of 20 concurrent takers', async () => {
        const t = token();
        await store.insertToken(t);
        const taken = await Promise.all(Array.from({ length: 20 }, () => store.takeToken(t.hash)));
        assert.equal(taken.filter((x) => x !== undefined).length, 1);
        assert.deepEqual(taken.find((x) => x !== undefined), t);
      });

      it('answers 300 concurrent lookups each with its own token, absent ones absent', async () => {
        const tokens = Array.from({ length: 100 }, (_, i) => token({ userId: `u${i}` }));
        for (const t of tokens) await store.insertToken(t);
        const asked = Array.from({ length: 300 }, (_, i) => (i % 3 === 2 ? randomHash() : (tokens[(i * 7) % 100]?.hash ?? '')));
        const found = await Promise.all(asked.map((hash) => store.findToken(hash)));
        found.forEach((record, i) => assert.deepEqual(record, tokens.find((t) => t.hash === asked[i]), `lookup ${i}`));
      });

      it('does not find a token taken before the lookup was asked, while other lookups are busy', async () => {
        const busy = Array.from({ length: 20 }, () => token());
        for (const t of busy) await store.insertToken(t);
        for (let round = 0; round < 5; round++) {
          const victim = token();
          await store.insertToken(victim);
          const lookups = Promise.all(busy.map((t) => store.findToken(t.hash)));
          assert.deepEqual(await store.takeToken(victim.hash), victim);
          assert.equal(await store.findToken(victim.hash), undefined);
          assert.deepEqual(await lookups, busy);
        }
      });

      it("deletes a user's tokens, except the one to keep, and no one else's", async () => {
        const keep = token({ userId: 'me' });
        const eternal = token({ userId: 'me', expiresAt: undefined, ttlSeconds: -1 });
        const other = token({ userId: 'me' });
        const theirs = token({ userId: 'them' });
        for (const t of [keep, eternal, other, theirs]) await store.insertToken(t);
        assert.equal(await store.deleteUserTokens('me', keep.hash), 2);
        assert.deepEqual(await store.findToken(keep.hash), keep);
        assert.equal(await store.findToken(eternal.hash), undefined);
        assert.equal(await store.findToken(other.hash), undefined);
        assert.deepEqual(await store.findToken(theirs.hash), theirs);
        assert.equal(await store.deleteUserTokens('me'), 1);
        assert.equal(await store.findToken(keep.hash), undefined);
        assert.equal(await store.deleteUserTokens('me'), 0);
        assert.deepEqual(await store.findToken(theirs.hash), theirs);
      });
    });

    describe('counters', () => {
      it('counts hits inside a window and restarts it when it began before windowStart', async () => {
        assert.equal(await store.getCounter('k'), undefined);
        assert.deepEqual(await store.hitCounter('k', at(0), at(-100)), { count: 1, first: at(0), last: at(0) });
        assert.deepEqual(await store.hitCounter('k', at(10), at(-90)), { count: 2, first: at(0), last: at(10) });
        assert.deepEqual(await store.hitCounter('k', at(20), at(0)), { count: 3, first: at(0), last: at(20) }); // first == windowStart: same window
        assert.deepEqual(await store.getCounter('k'), { count: 3, first: at(0), last: at(20) });
        assert.deepEqual(await store.hitCounter('k', at(200), at(100)), { count: 1, first: at(200), last: at(200) });
        assert.deepEqual(await store.hitCounter('k', at(210), at(110)), { count: 2, first: at(200), last: at(210) });
        assert.equal(await store.getCounter('other'), undefined);
      });

      it('deletes a counter', async () => {
        await store.hitCounter('gone', at(0), at(-100));
        await store.hitCounter('kept', at(0), at(-100));
        await store.deleteCounter('gone');
        await store.deleteCounter('never-was');
        assert.equal(await store.getCounter('gone'), undefined);
        assert.equal((await store.getCounter('kept'))?.count, 1);
        assert.equal((await store.hitCounter('gone', at(5), at(-95))).count, 1);
      });

      it('counts 10 concurrent hits as 10', async () => {
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.hitCounter('busy', at(i), at(-100))));
        assert.deepEqual(results.map((c) => c.count).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert.equal((await store.getCounter('busy'))?.count, 10);
      });
    });

    describe('odd values are plain values', () => {
      const odd = ['{"$ne": null}', '{"$ne":null}', '$ne', '$where', 'a.b$c', '{', 'x.y.z', '$', '.', '{"$gt": ""}'];

      it('finds nothing for operator-like strings', async () => {
        await store.createUser(user({ email: 'plain@example.com', username: 'plain' }));
        await store.insertToken(token());
        await store.hitCounter('plain', at(0), at(-1));
        for (const value of odd) {
          assert.equal(await store.findUserByEmail('', value), undefined, value);
          assert.equal(await store.findUserByEmail(value, 'plain@example.com'), undefined, value);
          assert.equal(await store.findUserByUsername('', value), undefined, value);
          assert.equal(await store.findUserById(value), undefined, value);
          assert.equal(await store.findToken(value), undefined, value);
          assert.equal(await store.takeToken(value), undefined, value);
          assert.equal(await store.getCounter(value), undefined, value);
          assert.equal(await store.deleteUserTokens(value), 0, value);
        }
      });

      it('stores and finds odd strings literally', async () => {
        for (const [i, value] of odd.entries()) {
          const u = user({ realm: value, email: `${value}@x`, username: value });
          await store.createUser(u);
          assert.deepEqual(await store.findUserByEmail(value, `${value}@x`), u);
          assert.deepEqual(await store.findUserByUsername(value, value), u);
          const t = token({ userId: value, scopes: [value] });
          await store.insertToken(t);
          assert.deepEqual(await store.findToken(t.hash), t);
          assert.equal((await store.hitCounter(value, at(i), at(-100))).count, 1);
          assert.equal((await store.getCounter(value))?.count, 1);
        }
        for (const value of odd) assert.equal(await store.deleteUserTokens(value), 1, value);
      });
    });
  });
}
