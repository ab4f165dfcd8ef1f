import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DuplicateKeyError, type UserStore } from '../../../src/storage/users/port.js';
import { at, ODD_VALUES, user, type Fixture } from './fixtures.js';

const isDuplicate = (field: 'email' | 'username') => (err: unknown) =>
  err instanceof DuplicateKeyError && err.field === field;

/** What every UserStore keeps; each implementation's test file runs it. */
export function userStoreContract(implementation: string, setup: () => Promise<Fixture<UserStore>>): void {
  describe(`UserStore contract: ${implementation}`, () => {
    let fixture: Fixture<UserStore>;
    let store: UserStore;
    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.teardown();
    });

    it('finds a user by id, email and username in its realm', async () => {
      const alice = user({ realm: 'r1', email: 'alice@example.com', username: 'alice', emailVerified: true });
      await store.create(alice);
      assert.deepEqual(await store.findById(alice.id), alice);
      assert.deepEqual(await store.findByEmail('r1', 'alice@example.com'), alice);
      assert.deepEqual(await store.findByUsername('r1', 'alice'), alice);
      assert.equal(await store.findByEmail('', 'alice@example.com'), undefined);
      assert.equal(await store.findByUsername('r2', 'alice'), undefined);
      assert.equal(await store.findById('nobody'), undefined);
    });

    it('keeps an absent username absent', async () => {
      const bob = user({ email: 'bob@example.com' });
      await store.create(bob);
      const found = await store.findByEmail('', 'bob@example.com');
      assert.deepEqual(found, bob);
      assert.equal(found?.username, undefined);
    });

    it('allows one email in two realms', async () => {
      await store.create(user({ realm: 'a', email: 'same@example.com', username: 'same' }));
      await store.create(user({ realm: 'b', email: 'same@example.com', username: 'same' }));
      assert.equal((await store.findByEmail('a', 'same@example.com'))?.realm, 'a');
      assert.equal((await store.findByEmail('b', 'same@example.com'))?.realm, 'b');
    });

    it('refuses a taken email in one realm', async () => {
      await store.create(user({ email: 'taken@example.com', username: 'first' }));
      await assert.rejects(store.create(user({ email: 'taken@example.com', username: 'second' })), isDuplicate('email'));
      await assert.rejects(store.create(user({ email: 'taken@example.com' })), isDuplicate('email'));
      assert.equal(await store.findByUsername('', 'second'), undefined);
    });

    it('refuses a taken username in one realm', async () => {
      await store.create(user({ username: 'carol' }));
      await assert.rejects(store.create(user({ username: 'carol' })), isDuplicate('username'));
      await store.create(user({ realm: 'other', username: 'carol' }));
    });

    it('takes usernames without regard to case, keeping the one first given', async () => {
      const ann = user({ username: 'Ann' });
      await store.create(ann);
      for (const spelling of ['Ann', 'ANN', 'ann', 'aNn']) assert.deepEqual(await store.findByUsername('', spelling), ann, spelling);
      for (const spelling of ['ANN', 'ann']) {
        await assert.rejects(store.create(user({ username: spelling })), isDuplicate('username'), spelling);
      }
      assert.equal((await store.findByUsername('', 'ann'))?.username, 'Ann');
      assert.equal(await store.findByUsername('other', 'ANN'), undefined);
      await store.create(user({ realm: 'other', username: 'ANN' }));
      assert.equal((await store.findByUsername('other', 'ann'))?.username, 'ANN');
    });

    it('lets one of concurrent creations with one username in different cases win', async () => {
      const spellings = ['Race', 'RACE', 'race', 'rAcE', 'RaCe', 'raCE'];
      const results = await Promise.allSettled(spellings.map((username) => store.create(user({ username }))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(isDuplicate('username')(r.reason));
    });

    it('names email first when both are taken', async () => {
      await store.create(user({ email: 'both@example.com', username: 'both' }));
      await assert.rejects(store.create(user({ email: 'both@example.com', username: 'both' })), isDuplicate('email'));
    });

    it('never lets users without a username collide', async () => {
      const many = Array.from({ length: 10 }, () => user());
      for (const u of many) await store.create(u);
      await Promise.all(Array.from({ length: 5 }, () => store.create(user({ realm: 'x' }))));
      for (const u of many) assert.deepEqual(await store.findById(u.id), u);
    });

    it('lets one of concurrent creations with one email win', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.create(user({ email: 'race@example.com', username: `racer${i}` }))),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(isDuplicate('email')(r.reason));
    });

    it('sets a new password hash, with when it changed', async () => {
      const dave = user({ username: 'dave' });
      await store.create(dave);
      await store.setPasswordHash(dave.id, 'new-hash', at(60));
      assert.deepEqual(await store.findById(dave.id), { ...dave, passwordHash: 'new-hash', passwordChangedAt: at(60) });
      assert.equal((await store.findByEmail('', dave.email))?.passwordHash, 'new-hash');
      assert.equal((await store.findByUsername('', 'dave'))?.passwordHash, 'new-hash');
      await store.setPasswordHash('nobody', 'x', at(60)); // unknown user: no error, no effect
    });

    describe('update', () => {
      it('changes the given fields, keeps the others, and answers the user as it now is', async () => {
        const erin = user({ email: 'erin@example.com', username: 'erin', emailVerified: true });
        await store.create(erin);
        const changed = await store.update(erin.id, { email: 'erin2@example.com', emailVerified: false });
        const expected = { ...erin, email: 'erin2@example.com', emailVerified: false };
        assert.deepEqual(changed, expected);
        assert.deepEqual(await store.findById(erin.id), expected);
        assert.deepEqual(await store.findByEmail('', 'erin2@example.com'), expected);
        assert.equal(await store.findByEmail('', 'erin@example.com'), undefined, 'the old email is free');
        assert.deepEqual(await store.findByUsername('', 'erin'), expected);
      });

      it('moves a username, and gives one to a user who had none', async () => {
        const fay = user({ username: 'fay' });
        const gus = user();
        await store.create(fay);
        await store.create(gus);
        assert.equal((await store.update(fay.id, { username: 'fay2' }))?.username, 'fay2');
        assert.equal(await store.findByUsername('', 'fay'), undefined);
        assert.equal((await store.findByUsername('', 'fay2'))?.id, fay.id);
        assert.equal((await store.update(gus.id, { username: 'fay' }))?.username, 'fay');
        assert.equal((await store.findByUsername('', 'fay'))?.id, gus.id);
        // Users without a username still never collide.
        await store.create(user());
      });

      it("refuses another user's email or username in the realm, naming email first, and changes nothing", async () => {
        const hal = user({ email: 'hal@example.com', username: 'hal' });
        const ida = user({ email: 'ida@example.com', username: 'ida' });
        await store.create(hal);
        await store.create(ida);
        await assert.rejects(store.update(ida.id, { email: 'hal@example.com' }), isDuplicate('email'));
        await assert.rejects(store.update(ida.id, { username: 'hal' }), isDuplicate('username'));
        await assert.rejects(store.update(ida.id, { email: 'hal@example.com', username: 'hal' }), isDuplicate('email'));
        assert.deepEqual(await store.findById(ida.id), ida);
        assert.equal((await store.findByEmail('', 'hal@example.com'))?.id, hal.id);
        // Its own values, and values taken only in another realm, are no conflict.
        assert.deepEqual(await store.update(ida.id, { email: 'ida@example.com', username: 'ida' }), ida);
        const elsewhere = user({ realm: 'other', email: 'jo@example.com', username: 'jo' });
        await store.create(elsewhere);
        assert.equal((await store.update(ida.id, { email: 'jo@example.com', username: 'jo' }))?.email, 'jo@example.com');
      });

      it('compares moved usernames without regard to case, and frees the old one in every case', async () => {
        const max = user({ username: 'Max' });
        const ned = user({ username: 'ned' });
        await store.create(max);
        await store.create(ned);
        await assert.rejects(store.update(ned.id, { username: 'MAX' }), isDuplicate('username'));
        assert.equal((await store.update(max.id, { username: 'max' }))?.username, 'max', 'a new case of its own name is no conflict');
        assert.equal((await store.update(max.id, { username: 'maxi' }))?.username, 'maxi');
        assert.equal(await store.findByUsername('', 'MAX'), undefined);
        assert.equal((await store.update(ned.id, { username: 'MAX' }))?.username, 'MAX');
      });

      it('lets one of concurrent moves to one email win', async () => {
        const racers = Array.from({ length: 6 }, () => user());
        for (const racer of racers) await store.create(racer);
        const results = await Promise.allSettled(racers.map((racer) => store.update(racer.id, { email: 'goal@example.com' })));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(isDuplicate('email')(r.reason));
      });

      it('answers undefined for an unknown user, and the user unchanged for no changes', async () => {
        assert.equal(await store.update('nobody', { email: 'x@example.com' }), undefined);
        const kim = user();
        await store.create(kim);
        assert.deepEqual(await store.update(kim.id, {}), kim);
      });
    });

    it('keeps a user without a password, and gives it one later', async () => {
      const erin = user({ username: 'erin', passwordHash: undefined, emailVerified: true });
      await store.create(erin);
      assert.deepEqual(await store.findById(erin.id), erin);
      assert.equal((await store.findByEmail('', erin.email))?.passwordHash, undefined);
      await store.setPasswordHash(erin.id, 'first-hash', new Date(2026, 0, 2));
      assert.equal((await store.findByUsername('', 'ERIN'))?.passwordHash, 'first-hash');
    });

    it('deletes a user, freeing its email and username, and no other', async () => {
      const lea = user({ email: 'lea@example.com', username: 'lea' });
      const other = user({ email: 'other@example.com' });
      await store.create(lea);
      await store.create(other);
      assert.equal(await store.delete(lea.id), true);
      assert.deepEqual(await store.findById(other.id), other);
      assert.equal(await store.findById(lea.id), undefined);
      assert.equal(await store.findByEmail('', 'lea@example.com'), undefined);
      assert.equal(await store.findByUsername('', 'lea'), undefined);
      assert.equal(await store.delete(lea.id), false);
      await store.create(user({ email: 'lea@example.com', username: 'LEA' }));
    });

    describe('insertIfAbsent', () => {
      it('inserts a new user, then leaves the stored one as it is', async () => {
        const erin = user({ email: 'erin@example.com', username: 'erin' });
        assert.equal(await store.insertIfAbsent(erin), true);
        assert.deepEqual(await store.findById(erin.id), erin);
        assert.equal(await store.insertIfAbsent(erin), false);
        const changed = { ...erin, email: 'other@example.com', username: 'other', passwordHash: 'changed' };
        assert.equal(await store.insertIfAbsent(changed), false);
        assert.deepEqual(await store.findById(erin.id), erin);
        assert.deepEqual(await store.findByEmail('', 'erin@example.com'), erin);
        assert.equal(await store.findByEmail('', 'other@example.com'), undefined);
        assert.equal(await store.findByUsername('', 'other'), undefined);
      });

      it('leaves a stored user without a username as it is', async () => {
        const nameless = user();
        assert.equal(await store.insertIfAbsent(nameless), true);
        assert.equal(await store.insertIfAbsent({ ...nameless, email: 'moved@example.com' }), false);
        assert.deepEqual(await store.findById(nameless.id), nameless);
      });

      it("refuses another user's email or username", async () => {
        await store.create(user({ email: 'held@example.com', username: 'holder' }));
        await assert.rejects(store.insertIfAbsent(user({ email: 'held@example.com' })), isDuplicate('email'));
        await assert.rejects(store.insertIfAbsent(user({ username: 'holder' })), isDuplicate('username'));
      });

      it('inserts one of concurrent insertions of one user', async () => {
        const fay = user({ email: 'fay@example.com', username: 'fay' });
        const results = await Promise.all(Array.from({ length: 8 }, () => store.insertIfAbsent(fay)));
        assert.equal(results.filter(Boolean).length, 1);
        assert.deepEqual(await store.findById(fay.id), fay);
      });
    });

    it('replaces a password hash only while it is still the expected one', async () => {
      const erin = user({ passwordHash: 'old-hash' });
      await store.create(erin);
      assert.equal(await store.replacePasswordHash(erin.id, 'other-hash', 'lost'), false);
      assert.equal((await store.findById(erin.id))?.passwordHash, 'old-hash');
      assert.equal(await store.replacePasswordHash(erin.id, 'old-hash', 'rehashed'), true);
      assert.deepEqual(await store.findByEmail('', erin.email), { ...erin, passwordHash: 'rehashed' }, 'the same password: no change time');
      assert.equal(await store.replacePasswordHash(erin.id, 'old-hash', 'again'), false);
      assert.equal(await store.replacePasswordHash('nobody', 'old-hash', 'x'), false);
      for (const value of ODD_VALUES) assert.equal(await store.replacePasswordHash(erin.id, value, 'x'), false, value);
      assert.equal((await store.findById(erin.id))?.passwordHash, 'rehashed');
    });

    it('marks an email verified only while the user still has it', async () => {
      const gina = user({ email: 'gina@example.com' });
      await store.create(gina);
      assert.equal(await store.markEmailVerified(gina.id, 'other@example.com'), false);
      assert.equal((await store.findById(gina.id))?.emailVerified, false);
      assert.equal(await store.markEmailVerified(gina.id, 'gina@example.com'), true);
      assert.deepEqual(await store.findByEmail('', 'gina@example.com'), { ...gina, emailVerified: true });
      assert.equal(await store.markEmailVerified(gina.id, 'gina@example.com'), true, 'verified already');
      assert.equal(await store.markEmailVerified('nobody', 'gina@example.com'), false);
      for (const value of ODD_VALUES) assert.equal(await store.markEmailVerified(value, value), false, value);
    });

    it('disables and enables a user through update, its other fields kept', async () => {
      const hugo = user({ username: 'hugo' });
      await store.create(hugo);
      assert.deepEqual(await store.update(hugo.id, { disabled: true }), { ...hugo, disabled: true });
      assert.equal((await store.findByUsername('', 'HUGO'))?.disabled, true);
      assert.deepEqual(await store.update(hugo.id, { disabled: true }), { ...hugo, disabled: true }, 'twice: no change');
      assert.deepEqual(await store.update(hugo.id, { disabled: false }), hugo);
      assert.deepEqual(await store.findByEmail('', hugo.email), hugo);
      assert.equal(await store.update('nobody', { disabled: true }), undefined);
    });

    describe('odd values are plain values', () => {
      it('finds nothing for operator-like strings', async () => {
        await store.create(user({ email: 'plain@example.com', username: 'plain' }));
        for (const value of ODD_VALUES) {
          assert.equal(await store.findByEmail('', value), undefined, value);
          assert.equal(await store.findByEmail(value, 'plain@example.com'), undefined, value);
          assert.equal(await store.findByUsername('', value), undefined, value);
          assert.equal(await store.findById(value), undefined, value);
          assert.equal(await store.update(value, { username: 'changed' }), undefined, value);
          assert.equal(await store.delete(value), false, value);
        }
        assert.equal((await store.findByEmail('', 'plain@example.com'))?.username, 'plain');
      });

      it('stores and finds odd strings literally', async () => {
        for (const value of ODD_VALUES) {
          const u = user({ realm: value, email: `${value}@x`, username: value });
          await store.create(u);
          assert.deepEqual(await store.findByEmail(value, `${value}@x`), u);
          assert.deepEqual(await store.findByUsername(value, value), u);
        }
      });
    });
  });
}
