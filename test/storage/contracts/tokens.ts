import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { TokenStore } from '../../../src/storage/tokens/port.js';
import { at, ODD_VALUES, randomHash, token, type Fixture } from './fixtures.js';

/** What every TokenStore keeps; each implementation's test file runs it. */
export function tokenStoreContract(implementation: string, setup: () => Promise<Fixture<TokenStore>>): void {
  describe(`TokenStore contract: ${implementation}`, () => {
    let fixture: Fixture<TokenStore>;
    let store: TokenStore;
    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.teardown();
    });

    it('round-trips every field, eternal and scoped tokens too', async () => {
      const normal = token({ userId: 'u1', realm: 'r' });
      const eternal = token({ userId: 'u1', ttlSeconds: -1, expiresAt: undefined });
      const scoped = token({ userId: 'u2', scopes: ['reset-password', 'other'], ttlSeconds: 900, expiresAt: at(900) });
      for (const t of [normal, eternal, scoped]) await store.insert(t);
      assert.deepEqual(await store.find(normal.hash), normal);
      assert.deepEqual(await store.find(eternal.hash), eternal);
      assert.equal((await store.find(eternal.hash))?.expiresAt, undefined);
      assert.deepEqual(await store.find(scoped.hash), scoped);
      assert.equal(await store.find('0'.repeat(64)), undefined);
    });

    it('does not share the scopes array with the caller', async () => {
      const t = token({ scopes: ['a'] });
      await store.insert(t);
      t.scopes.push('b');
      assert.deepEqual((await store.find(t.hash))?.scopes, ['a']);
    });

    it('inserts a token if absent, and leaves a stored one as it is', async () => {
      const t = token({ userId: 'u1', scopes: ['a'] });
      assert.equal(await store.insertIfAbsent(t), true);
      assert.equal(await store.insertIfAbsent({ ...t, userId: 'u2', scopes: [], ttlSeconds: -1, expiresAt: undefined }), false);
      assert.deepEqual(await store.find(t.hash), t);
      assert.equal(await store.deleteByUser('u2'), 0);
      const results = await Promise.all(Array.from({ length: 8 }, () => store.insertIfAbsent(token({ hash: 'f'.repeat(64) }))));
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('takes a token once', async () => {
      const t = token();
      await store.insert(t);
      assert.deepEqual(await store.take(t.hash), t);
      assert.equal(await store.take(t.hash), undefined);
      assert.equal(await store.find(t.hash), undefined);
    });

    it('gives a token to exactly one of 20 concurrent takers', async () => {
      const t = token();
      await store.insert(t);
      const taken = await Promise.all(Array.from({ length: 20 }, () => store.take(t.hash)));
      assert.equal(taken.filter((x) => x !== undefined).length, 1);
      assert.deepEqual(taken.find((x) => x !== undefined), t);
    });

    it('answers 300 concurrent lookups each with its own token, absent ones absent', async () => {
      const tokens = Array.from({ length: 100 }, (_, i) => token({ userId: `u${i}` }));
      for (const t of tokens) await store.insert(t);
      const asked = Array.from({ length: 300 }, (_, i) => (i % 3 === 2 ? randomHash() : (tokens[(i * 7) % 100]?.hash ?? '')));
      const found = await Promise.all(asked.map((hash) => store.find(hash)));
      found.forEach((record, i) => assert.deepEqual(record, tokens.find((t) => t.hash === asked[i]), `lookup ${i}`));
    });

    it('does not find a token taken before the lookup was asked, while other lookups are busy', async () => {
      const busy = Array.from({ length: 20 }, () => token());
      for (const t of busy) await store.insert(t);
      for (let round = 0; round < 5; round++) {
        const victim = token();
        await store.insert(victim);
        const lookups = Promise.all(busy.map((t) => store.find(t.hash)));
        assert.deepEqual(await store.take(victim.hash), victim);
        assert.equal(await store.find(victim.hash), undefined);
        assert.deepEqual(await lookups, busy);
      }
    });

    it("deletes a user's tokens, except the one to keep, and no one else's", async () => {
      const keep = token({ userId: 'me' });
      const eternal = token({ userId: 'me', expiresAt: undefined, ttlSeconds: -1 });
      const other = token({ userId: 'me' });
      const theirs = token({ userId: 'them' });
      for (const t of [keep, eternal, other, theirs]) await store.insert(t);
      assert.equal(await store.deleteByUser('me', keep.hash), 2);
      assert.deepEqual(await store.find(keep.hash), keep);
      assert.equal(await store.find(eternal.hash), undefined);
      assert.equal(await store.find(other.hash), undefined);
      assert.deepEqual(await store.find(theirs.hash), theirs);
      assert.equal(await store.deleteByUser('me'), 1);
      assert.equal(await store.find(keep.hash), undefined);
      assert.equal(await store.deleteByUser('me'), 0);
      assert.deepEqual(await store.find(theirs.hash), theirs);
    });

    it("trims a user's tokens to the newest `keep`, and no one else's", async () => {
      const mine = [3, 1, 4, 2].map((s) => token({ userId: 'me', created: at(s) }));
      const theirs = token({ userId: 'them', created: at(0) });
      for (const t of [...mine, theirs]) await store.insert(t);
      const oldest = [...mine].sort((a, b) => a.created.getTime() - b.created.getTime());
      assert.deepEqual((await store.trimUser('me', 2)).sort(), [oldest[0]?.hash, oldest[1]?.hash].sort());
      for (const t of oldest.slice(0, 2)) assert.equal(await store.find(t.hash), undefined);
      for (const t of oldest.slice(2)) assert.deepEqual(await store.find(t.hash), t);
      assert.deepEqual(await store.find(theirs.hash), theirs);
      assert.deepEqual(await store.trimUser('me', 2), []);
      assert.deepEqual(await store.trimUser('nobody', 0), []);
    });

    it('keeps an unknown user agent and address as undefined', async () => {
      const t = token({ userAgent: undefined, address: undefined });
      await store.insert(t);
      assert.deepEqual(await store.find(t.hash), t);
    });

    it("lists a user's tokens, expired ones included, and no one else's", async () => {
      const mine = [token({ userId: 'me' }), token({ userId: 'me', expiresAt: at(-10) }), token({ userId: 'me', scopes: ['reset-password'] })];
      for (const t of [...mine, token({ userId: 'them' })]) await store.insert(t);
      const byHash = (a: { hash: string }, b: { hash: string }) => (a.hash < b.hash ? -1 : 1);
      assert.deepEqual((await store.listByUser('me')).sort(byHash), [...mine].sort(byHash));
      assert.deepEqual(await store.listByUser('nobody'), []);
    });

    it("takes a session only by its user and id together, once", async () => {
      const mine = token({ userId: 'me' });
      const theirs = token({ userId: 'them' });
      for (const t of [mine, theirs]) await store.insert(t);
      assert.equal(await store.takeSession('me', theirs.sessionId), undefined);
      assert.equal(await store.takeSession('them', mine.sessionId), undefined);
      assert.deepEqual(await store.find(theirs.hash), theirs);
      assert.deepEqual(await store.takeSession('me', mine.sessionId), mine);
      assert.equal(await store.takeSession('me', mine.sessionId), undefined);
      assert.equal(await store.find(mine.hash), undefined);
      assert.deepEqual(await store.listByUser('me'), []);
    });

    it('gives a session to exactly one of 20 concurrent takers', async () => {
      const t = token({ userId: 'me' });
      await store.insert(t);
      const taken = await Promise.all(Array.from({ length: 20 }, () => store.takeSession('me', t.sessionId)));
      assert.equal(taken.filter((x) => x !== undefined).length, 1);
    });

    it('records a use, never moving lastUsed back, and ignores unknown tokens', async () => {
      const t = token({ lastUsed: at(0) });
      await store.insert(t);
      await store.touch(t.hash, at(120));
      assert.deepEqual(await store.find(t.hash), { ...t, lastUsed: at(120) });
      await store.touch(t.hash, at(60));
      assert.deepEqual((await store.find(t.hash))?.lastUsed, at(120));
      await store.touch(randomHash(), at(300));
      assert.equal(await store.find(randomHash()), undefined);
      assert.deepEqual((await store.listByUser(t.userId))[0]?.lastUsed, at(120));
    });

    it('does not bring back a taken token by touching it', async () => {
      const t = token();
      await store.insert(t);
      await store.take(t.hash);
      await store.touch(t.hash, at(60));
      assert.equal(await store.find(t.hash), undefined);
    });

    describe('odd values are plain values', () => {
      it('finds nothing for operator-like strings', async () => {
        await store.insert(token());
        for (const value of ODD_VALUES) {
          assert.equal(await store.find(value), undefined, value);
          assert.equal(await store.take(value), undefined, value);
          assert.equal(await store.takeSession(value, value), undefined, value);
          assert.deepEqual(await store.listByUser(value), [], value);
          await store.touch(value, at(60));
          assert.equal(await store.deleteByUser(value), 0, value);
          assert.deepEqual(await store.trimUser(value, 0), [], value);
        }
      });

      it('stores and finds odd strings literally', async () => {
        for (const value of ODD_VALUES) {
          const t = token({ userId: value, scopes: [value], userAgent: value, address: value });
          await store.insert(t);
          assert.deepEqual(await store.find(t.hash), t);
          assert.deepEqual(await store.listByUser(value), [t]);
        }
        for (const value of ODD_VALUES) assert.equal(await store.deleteByUser(value), 1, value);
      });
    });
  });
}
