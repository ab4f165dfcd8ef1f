import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LoginStateStore } from '../../../src/storage/login-states/port.js';
import { loginState, ODD_VALUES, randomHash, type Fixture } from './fixtures.js';

/** What every LoginStateStore keeps; each implementation's test file runs it. */
export function loginStateStoreContract(implementation: string, setup: () => Promise<Fixture<LoginStateStore>>): void {
  describe(`LoginStateStore contract: ${implementation}`, () => {
    let fixture: Fixture<LoginStateStore>;
    let store: LoginStateStore;
    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.teardown();
    });

    it('round-trips every field, the optional ones absent or present', async () => {
      const plain = loginState();
      const full = loginState({ nonce: undefined, bindingHash: randomHash(), linkUserId: 'u1', returnTo: 'https://app.example.com/after', realm: 'r' });
      await store.insert(plain);
      await store.insert(full);
      assert.deepEqual(await store.take(plain.stateHash), plain);
      assert.deepEqual(await store.take(full.stateHash), full);
    });

    it('gives a state once', async () => {
      const s = loginState();
      await store.insert(s);
      assert.deepEqual(await store.take(s.stateHash), s);
      assert.equal(await store.take(s.stateHash), undefined);
      assert.equal(await store.take(randomHash()), undefined);
    });

    it('gives a state to exactly one of 20 concurrent takers', async () => {
      const s = loginState();
      await store.insert(s);
      const taken = await Promise.all(Array.from({ length: 20 }, () => store.take(s.stateHash)));
      assert.equal(taken.filter((x) => x !== undefined).length, 1);
      assert.deepEqual(taken.find((x) => x !== undefined), s);
    });

    it('treats operator-like strings as plain values', async () => {
      const s = loginState();
      await store.insert(s);
      for (const value of ODD_VALUES) assert.equal(await store.take(value), undefined, value);
      assert.deepEqual(await store.take(s.stateHash), s);
    });
  });
}
