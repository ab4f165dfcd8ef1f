import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CounterStore } from '../../../src/storage/counters/port.js';
import { at, ODD_VALUES, type Fixture } from './fixtures.js';

/** What every CounterStore keeps; each implementation's test file runs it. */
export function counterStoreContract(implementation: string, setup: () => Promise<Fixture<CounterStore>>): void {
  describe(`CounterStore contract: ${implementation}`, () => {
    let fixture: Fixture<CounterStore>;
    let store: CounterStore;
    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.teardown();
    });

    it('counts hits inside a window and restarts it when it began before windowStart', async () => {
      assert.equal(await store.get('k'), undefined);
      assert.deepEqual(await store.hit('k', at(0), at(-100)), { count: 1, first: at(0), last: at(0) });
      assert.deepEqual(await store.hit('k', at(10), at(-90)), { count: 2, first: at(0), last: at(10) });
      assert.deepEqual(await store.hit('k', at(20), at(0)), { count: 3, first: at(0), last: at(20) }); // first == windowStart: same window
      assert.deepEqual(await store.get('k'), { count: 3, first: at(0), last: at(20) });
      assert.deepEqual(await store.hit('k', at(200), at(100)), { count: 1, first: at(200), last: at(200) });
      assert.deepEqual(await store.hit('k', at(210), at(110)), { count: 2, first: at(200), last: at(210) });
      assert.equal(await store.get('other'), undefined);
    });

    it('deletes a counter', async () => {
      await store.hit('gone', at(0), at(-100));
      await store.hit('kept', at(0), at(-100));
      await store.delete('gone');
      await store.delete('never-was');
      assert.equal(await store.get('gone'), undefined);
      assert.equal((await store.get('kept'))?.count, 1);
      assert.equal((await store.hit('gone', at(5), at(-95))).count, 1);
    });

    it('counts 10 concurrent hits as 10', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.hit('busy', at(i), at(-100))));
      assert.deepEqual(results.map((c) => c.count).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.equal((await store.get('busy'))?.count, 10);
    });

    describe('odd values are plain values', () => {
      it('finds nothing for operator-like strings', async () => {
        await store.hit('plain', at(0), at(-1));
        for (const value of ODD_VALUES) assert.equal(await store.get(value), undefined, value);
      });

      it('stores and finds odd strings literally', async () => {
        for (const [i, value] of ODD_VALUES.entries()) {
          assert.equal((await store.hit(value, at(i), at(-100))).count, 1);
          assert.equal((await store.get(value))?.count, 1);
        }
      });
    });
  });
}
