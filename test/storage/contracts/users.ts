import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DuplicateKeyError, type UserStore } from '../../../src/storage/users/port.js';
import { ODD_VALUES, user, type Fixture } from './fixtures.js';

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

    it('sets a password hash', async () => {
      const dave = user({ username: 'dave' });
      await store.create(dave);
      await store.setPasswordHash(dave.id, 'new-hash');
      assert.deepEqual(await store.findById(dave.id), { ...dave, passwordHash: 'new-hash' });
      assert.equal((await store.findByEmail('', dave.email))?.passwordHash, 'new-hash');
      assert.equal((await store.findByUsername('', 'dave'))?.passwordHash, 'new-hash');
      await store.setPasswordHash('nobody', 'x'); // unknown user: no error, no effect
    });

    it('replaces a password hash only while it is still the expected one', async () => {
      const erin = user({ passwordHash: 'old-hash' });
      await store.create(erin);
      assert.equal(await store.replacePasswordHash(erin.id, 'other-hash', 'lost'), false);
      assert.equal((await store.findById(erin.id))?.passwordHash, 'old-hash');
      assert.equal(await store.replacePasswordHash(erin.id, 'old-hash', 'rehashed'), true);
      assert.equal((await store.findByEmail('', erin.email))?.passwordHash, 'rehashed');
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

    it('disables and enables a user', async () => {
      const hugo = user({ username: 'hugo' });
      await store.create(hugo);
      assert.deepEqual(await store.setDisabled(hugo.id, true), { ...hugo, disabled: true });
      assert.equal((await store.findByUsername('', 'HUGO'))?.disabled, true);
      assert.deepEqual(await store.setDisabled(hugo.id, true), { ...hugo, disabled: true }, 'twice: no change');
      assert.deepEqual(await store.setDisabled(hugo.id, false), hugo);
      assert.deepEqual(await store.findByEmail('', hugo.email), hugo);
      assert.equal(await store.setDisabled('nobody', true), undefined);
    });

    it('deletes a user, freeing its email and username in the realm', async () => {
      const iris = user({ email: 'iris@example.com', username: 'iris' });
      const other = user({ email: 'other@example.com' });
      await store.create(iris);
      await store.create(other);
      assert.equal(await store.delete(iris.id), true);
      assert.equal(await store.delete(iris.id), false);
      assert.equal(await store.findById(iris.id), undefined);
      assert.equal(await store.findByEmail('', 'iris@example.com'), undefined);
      assert.equal(await store.findByUsername('', 'iris'), undefined);
      assert.deepEqual(await store.findById(other.id), other);
      await store.create(user({ email: 'iris@example.com', username: 'Iris' }));
      for (const value of ODD_VALUES) assert.equal(await store.delete(value), false, value);
    });

    describe('odd values are plain values', () => {
      it('finds nothing for operator-like strings', async () => {
        await store.create(user({ email: 'plain@example.com', username: 'plain' }));
        for (const value of ODD_VALUES) {
          assert.equal(await store.findByEmail('', value), undefined, value);
          assert.equal(await store.findByEmail(value, 'plain@example.com'), undefined, value);
          assert.equal(await store.findByUsername('', value), undefined, value);
          assert.equal(await store.findById(value), undefined, value);
        }
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
