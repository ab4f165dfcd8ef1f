import { MemoryStore } from '../../src/store/memory-store.js';
import { CachingStore } from '../../src/store/token-cache.js';
import { storeContract } from './contract.js';

for (const maxEntries of [100_000, 2]) {
  storeContract(`CachingStore over MemoryStore (maxEntries ${maxEntries})`, async () => {
    const store = new CachingStore(new MemoryStore(), { ttlMs: 60_000, maxEntries });
    await store.init();
    return { store, teardown: () => store.close() };
  });
}
