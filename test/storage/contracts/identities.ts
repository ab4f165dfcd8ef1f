import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DuplicateIdentityError, type IdentityStore } from '../../../src/storage/identities/port.js';
import { at, identity, ODD_VALUES, type Fixture } from './fixtures.js';

/** What every IdentityStore keeps; each implementation's test file runs it. */
export function identityStoreContract(implementation: string, setup: () => Promise<Fixture<IdentityStore>>): void {
  describe(`IdentityStore contract: ${implementation}`, () => {
    let fixture: Fixture<IdentityStore>;
    let store: IdentityStore;
    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.teardown();
    });

    it('round-trips every field, an identity without email too', async () => {
      const full = identity({ profile: { name: 'Ann', picture: 'https://example.com/a.png' } });
      const bare = identity({ provider: 'github', email: undefined, emailVerified: false, profile: {} });
      await store.insert(full);
      await store.insert(bare);
      assert.deepEqual(await store.find(full.provider, full.subject), full);
      assert.deepEqual(await store.find('github', bare.subject), bare);
      assert.equal((await store.find('github', bare.subject))?.email, undefined);
      assert.equal(await store.find('github', full.subject), undefined);
      assert.equal(await store.find(full.provider, 'nobody'), undefined);
    });

    it('is unique on (provider, subject), whoever the user', async () => {
      const first = identity({ subject: '42', userId: 'a' });
      await store.insert(first);
      await assert.rejects(store.insert(identity({ subject: '42', userId: 'b' })), DuplicateIdentityError);
      await assert.rejects(store.insert(identity({ subject: '42', userId: 'a' })), DuplicateIdentityError);
      await store.insert(identity({ provider: 'github', subject: '42', userId: 'b' }));
      assert.equal((await store.find('google', '42'))?.userId, 'a');
      assert.equal((await store.find('github', '42'))?.userId, 'b');
    });

    it('lets one of 12 concurrent inserts of one identity win', async () => {
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store.insert(identity({ subject: 'race', userId: `u${i}` }))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof DuplicateIdentityError);
    });

    it("lists a user's identities oldest first, and no one else's", async () => {
      const newer = identity({ userId: 'me', provider: 'github', created: at(20) });
      const older = identity({ userId: 'me', created: at(10) });
      await store.insert(newer);
      await store.insert(older);
      await store.insert(identity({ userId: 'them' }));
      assert.deepEqual(await store.listByUser('me'), [older, newer]);
      assert.deepEqual(await store.listByUser('nobody'), []);
    });

    it('refreshes what a later login brings, the email removed too', async () => {
      const i = identity();
      await store.insert(i);
      await store.refresh(i.provider, i.subject, { email: 'new@example.com', emailVerified: false, profile: { name: 'New' }, lastLogin: at(99) });
      assert.deepEqual(await store.find(i.provider, i.subject), { ...i, email: 'new@example.com', emailVerified: false, profile: { name: 'New' }, lastLogin: at(99) });
      await store.refresh(i.provider, i.subject, { email: undefined, emailVerified: false, profile: {}, lastLogin: at(100) });
      assert.deepEqual(await store.find(i.provider, i.subject), { ...i, email: undefined, emailVerified: false, profile: {}, lastLogin: at(100) });
      await store.refresh('google', 'nobody', { email: undefined, emailVerified: false, profile: {}, lastLogin: at(1) });
      assert.equal(await store.find('google', 'nobody'), undefined);
    });

    it("deletes an identity only for its own user, once", async () => {
      const i = identity({ userId: 'me' });
      await store.insert(i);
      assert.equal(await store.delete(i.provider, i.subject, 'them'), false);
      assert.deepEqual(await store.find(i.provider, i.subject), i);
      assert.equal(await store.delete(i.provider, i.subject, 'me'), true);
      assert.equal(await store.delete(i.provider, i.subject, 'me'), false);
      assert.equal(await store.find(i.provider, i.subject), undefined);
      await store.insert(identity({ provider: i.provider, subject: i.subject, userId: 'them' }));
    });

    it("deletes every identity of a user, and no one else's", async () => {
      const google = identity({ userId: 'me' });
      const mine = [google, identity({ userId: 'me', provider: 'github' })];
      const theirs = identity({ userId: 'them' });
      for (const i of [...mine, theirs]) await store.insert(i);
      assert.equal(await store.deleteByUser('me'), 2);
      assert.deepEqual(await store.listByUser('me'), []);
      for (const i of mine) assert.equal(await store.find(i.provider, i.subject), undefined);
      assert.deepEqual(await store.listByUser('them'), [theirs]);
      assert.equal(await store.deleteByUser('me'), 0);
      // The identities are free to be linked again.
      await store.insert(identity({ provider: google.provider, subject: google.subject, userId: 'them' }));
    });

    it('does not share the profile with the caller', async () => {
      const i = identity({ profile: { name: 'Ann' } });
      await store.insert(i);
      (i.profile as Record<string, string>).name = 'Changed';
      const found = await store.find(i.provider, i.subject);
      assert.equal(found?.profile.name, 'Ann');
      (found?.profile as Record<string, string>).name = 'Changed again';
      assert.equal((await store.find(i.provider, i.subject))?.profile.name, 'Ann');
    });

    it('treats operator-like strings as plain values', async () => {
      for (const value of ODD_VALUES) {
        const i = identity({ subject: value, userId: value });
        await store.insert(i);
        assert.deepEqual(await store.find('google', value), i);
        assert.deepEqual(await store.listByUser(value), [i]);
        assert.equal(await store.find(value, value), undefined);
      }
      await store.insert(identity({ userId: 'plain' }));
      for (const value of ODD_VALUES) await store.deleteByUser(value);
      assert.equal((await store.listByUser('plain')).length, 1);
    });
  });
}
