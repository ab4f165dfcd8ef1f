import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchedLookup } from '../../src/storage/tokens/batched-lookup.js';

/** A loadMany whose queries are answered by the test, one by one. */
function controlledLoader() {
  const queries: { keys: string[]; answer: (found: Record<string, number>) => void; fail: (err: Error) => void }[] = [];
  const loadMany = (keys: string[]) =>
    new Promise<Map<string, number>>((resolve, reject) => {
      queries.push({ keys, answer: (found) => resolve(new Map(Object.entries(found))), fail: reject });
    });
  /** The i-th query sent; fails the test when there is none. */
  const query = (i: number) => {
    const sent = queries[i];
    assert.ok(sent, `query ${i} was sent`);
    return sent;
  };
  return { queries, query, loadMany };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchedLookup', () => {
  it('sends a lookup at once, alone, while queries are free', async () => {
    const { queries, query, loadMany } = controlledLoader();
    const lookup = new BatchedLookup(loadMany, 2, 100);
    const a = lookup.load('a');
    const b = lookup.load('b');
    assert.deepEqual(queries.map((q) => q.keys), [['a'], ['b']]);
    query(0).answer({ a: 1 });
    query(1).answer({});
    assert.equal(await a, 1);
    assert.equal(await b, undefined);
  });

  it('sends what waited while all queries were busy as one query, each key once', async () => {
    const { queries, query, loadMany } = controlledLoader();
    const lookup = new BatchedLookup(loadMany, 1, 100);
    const first = lookup.load('a');
    const waiting = ['b', 'c', 'b', 'a'].map((key) => lookup.load(key));
    assert.equal(queries.length, 1);
    query(0).answer({ a: 1 });
    assert.equal(await first, 1);
    await settle();
    assert.deepEqual(queries[1]?.keys, ['b', 'c', 'a']);
    query(1).answer({ a: 10, b: 2 });
    assert.deepEqual(await Promise.all(waiting), [2, undefined, 2, 10]);
  });

  it('never answers a lookup from a query sent before it was asked', async () => {
    const { queries, query, loadMany } = controlledLoader();
    const lookup = new BatchedLookup(loadMany, 1, 100);
    const early = lookup.load('a');
    const late = lookup.load('a');
    query(0).answer({ a: 1 });
    await settle();
    assert.equal(queries.length, 2, 'the second lookup has a query of its own');
    query(1).answer({});
    assert.equal(await early, 1);
    assert.equal(await late, undefined);
  });

  it('puts at most maxBatch keys in one query', async () => {
    const { queries, query, loadMany } = controlledLoader();
    const lookup = new BatchedLookup(loadMany, 1, 3);
    const all = ['x', 'a', 'b', 'c', 'd', 'e'].map((key) => lookup.load(key));
    query(0).answer({});
    await settle();
    assert.deepEqual(queries[1]?.keys, ['a', 'b', 'c']);
    query(1).answer({});
    await settle();
    assert.deepEqual(queries[2]?.keys, ['d', 'e']);
    query(2).answer({ e: 5 });
    assert.deepEqual(await Promise.all(all), [undefined, undefined, undefined, undefined, undefined, 5]);
  });

  it('fails only the lookups of a failed query, and goes on', async () => {
    const { query, loadMany } = controlledLoader();
    const lookup = new BatchedLookup(loadMany, 2, 100);
    const failed = lookup.load('a');
    const fine = lookup.load('b');
    query(0).fail(new Error('connection reset'));
    query(1).answer({ b: 2 });
    await assert.rejects(failed, /connection reset/);
    assert.equal(await fine, 2);
    const next = lookup.load('a');
    query(2).answer({ a: 1 });
    assert.equal(await next, 1);
  });
});
