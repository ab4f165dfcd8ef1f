import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AttemptStore } from '../../../src/storage/attempts/port.js';
import { at, ODD_VALUES, type Fixture } from './fixtures.js';

const later = at(24 * 3600);

/** What every AttemptStore keeps; each implementation's test file runs it. */
export function attemptStoreContract(implementation: string, setup: () => Promise<Fixture<AttemptStore>>): void {
  describe(`AttemptStore contract: ${implementation}`, () => {
    let fixture: Fixture<AttemptStore>;
    let store: AttemptStore;
    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.teardown();
    });

    it('records numbered attempts and names the latest', async () => {
      assert.equal((await store.tally('k')).latest, undefined);
      assert.equal(await store.record('k', { n: 1, at: at(0) }, later), true);
      assert.equal(await store.record('k', { n: 2, at: at(10) }, later), true);
      assert.deepEqual((await store.tally('k')).latest, { n: 2, at: at(10) });
      assert.equal((await store.tally('other')).latest, undefined);
    });

    it('gives each number to one caller only', async () => {
      assert.equal(await store.record('k', { n: 1, at: at(0) }, later), true);
      assert.equal(await store.record('k', { n: 1, at: at(5) }, later), false);
      assert.deepEqual((await store.tally('k')).latest, { n: 1, at: at(0) });
      assert.equal(await store.record('other', { n: 1, at: at(5) }, later), true);
    });

    it('gives one number to exactly one of 20 concurrent callers', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.record('busy', { n: 1, at: at(i) }, later)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('forgets attempts up to a number, or all of them', async () => {
      for (let n = 1; n <= 4; n++) await store.record('k', { n, at: at(n) }, later);
      await store.forget('k', 2);
      assert.deepEqual((await store.tally('k')).latest, { n: 4, at: at(4) });
      assert.equal(await store.record('k', { n: 1, at: at(9) }, later), true, 'forgotten numbers are free again');
      await store.forget('k');
      assert.equal((await store.tally('k')).latest, undefined);
      await store.forget('never-was');
    });

    it('releases one attempt alone', async () => {
      for (let n = 1; n <= 3; n++) await store.record('k', { n, at: at(n) }, later);
      await store.release('k', 3);
      assert.deepEqual((await store.tally('k')).latest, { n: 2, at: at(2) });
      await store.release('k', 1);
      assert.deepEqual((await store.tally('k')).latest, { n: 2, at: at(2) });
      await store.release('k', 99);
    });

    it('counts the attempts still stored, all or all but one, with the highest of them', async () => {
      for (let n = 1; n <= 4; n++) await store.record('k', { n, at: at(n) }, later);
      await store.release('k', 2);
      assert.deepEqual(await store.tally('k'), { count: 3, latest: { n: 4, at: at(4) } });
      assert.deepEqual(await store.tally('k', 4), { count: 2, latest: { n: 3, at: at(3) } });
      assert.deepEqual(await store.tally('k', 1), { count: 2, latest: { n: 4, at: at(4) } }, 'a higher number counts too');
      assert.deepEqual(await store.tally('other'), { count: 0, latest: undefined });
    });

    it('tells whether another attempt overlapped one: a later one, or an earlier one still running', async () => {
      for (let n = 1; n <= 3; n++) await store.record('k', { n, at: at(n) }, later);
      assert.equal(await store.overlapped('k', 2), true, 'attempt 1 still runs, attempt 3 came after');
      await store.settle('k', 1);
      assert.equal(await store.overlapped('k', 2), true, 'attempt 3 came after');
      await store.release('k', 3);
      assert.equal(await store.overlapped('k', 2), false, 'attempt 1 finished before');
      assert.deepEqual((await store.tally('k')).latest, { n: 2, at: at(2) }, 'a settled attempt stays counted');
      await store.settle('k', 99);
      assert.equal(await store.overlapped('never-was', 1), false);
    });

    describe('odd values are plain values', () => {
      it('finds nothing for operator-like strings', async () => {
        await store.record('plain', { n: 1, at: at(0) }, later);
        for (const value of ODD_VALUES) assert.equal((await store.tally(value)).latest, undefined, value);
      });

      it('stores and finds odd strings literally', async () => {
        for (const [i, value] of ODD_VALUES.entries()) {
          assert.equal(await store.record(value, { n: 1, at: at(i) }, later), true);
          assert.deepEqual((await store.tally(value)).latest, { n: 1, at: at(i) });
        }
      });
    });
  });
}
