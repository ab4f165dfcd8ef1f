import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoalescedLastUse } from '../../src/storage/tokens/last-use.js';
import { MemoryTokenStore } from '../../src/storage/tokens/memory.js';
import { token } from '../storage/contracts/fixtures.js';

const WINDOW_MS = 60_000;

/** A memory store whose writes of last use are counted, and held at a gate while one is set. */
class CountingStore extends MemoryTokenStore {
  touches = 0;
  gate: Promise<void> | undefined;
  failWith: Error | undefined;

  override async touch(hash: string, at: Date): Promise<void> {
    this.touches++;
    await this.gate;
    if (this.failWith) throw this.failWith;
    await super.touch(hash, at);
  }
}

function setup(maxEntries = 100) {
  const inner = new CountingStore();
  const clock = { time: 1_000_000 };
  const errors: unknown[] = [];
  const store = new CoalescedLastUse(inner, { windowMs: WINDOW_MS, maxEntries, onError: (err) => errors.push(err), now: () => clock.time });
  return { inner, store, clock, errors };
}

const at = (ms: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + ms);

describe('CoalescedLastUse', () => {
  it('writes a token’s use at most once per window', async () => {
    const { inner, store, clock } = setup();
    const t = token({ lastUsed: at(0) });
    await store.insert(t);
    for (let i = 0; i < 100; i++) await store.touch(t.hash, at(i));
    assert.equal(inner.touches, 1);
    assert.deepEqual((await store.find(t.hash))?.lastUsed, at(0), 'the first use of the window');
    clock.time += WINDOW_MS; // lru-cache counts an entry exactly ttl old as fresh
    await store.touch(t.hash, at(WINDOW_MS));
    assert.equal(inner.touches, 1);
    clock.time += 1;
    await store.touch(t.hash, at(WINDOW_MS + 1));
    assert.equal(inner.touches, 2);
    assert.deepEqual((await store.find(t.hash))?.lastUsed, at(WINDOW_MS + 1));
  });

  it('counts each token apart', async () => {
    const { inner, store } = setup();
    const tokens = [token(), token(), token()];
    for (const t of tokens) await store.insert(t);
    for (let round = 0; round < 3; round++) for (const t of tokens) await store.touch(t.hash, at(round));
    assert.equal(inner.touches, 3);
  });

  it('answers at once, while the write is still running', async () => {
    const { inner, store } = setup();
    const t = token({ lastUsed: at(0) });
    await store.insert(t);
    let open = (): void => {};
    inner.gate = new Promise((resolve) => (open = resolve));
    await store.touch(t.hash, at(5000)); // resolves although the write waits at the gate
    assert.deepEqual((await store.find(t.hash))?.lastUsed, at(0));
    open();
    await inner.gate;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual((await store.find(t.hash))?.lastUsed, at(5000));
  });

  it('reports a failed write and never throws to the caller', async () => {
    const { inner, store, errors } = setup();
    inner.failWith = new Error('database down');
    await store.touch(token().hash, at(0));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(errors, [inner.failWith]);
  });

  it('remembers at most maxEntries tokens', async () => {
    const { inner, store } = setup(2);
    const [a, b, c] = [token(), token(), token()];
    for (const t of [a, b, c]) await store.touch(t.hash, at(0));
    await store.touch(a.hash, at(1)); // forgotten when c came: written again
    await store.touch(c.hash, at(1));
    assert.equal(inner.touches, 4);
  });
});
