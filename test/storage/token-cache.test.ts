import { CachingTokenStore } from '../../src/storage/tokens/cache.js';
import { MemoryTokenStore } from '../../src/storage/tokens/memory.js';
import { tokenStoreContract } from './contracts/tokens.js';

for (const maxEntries of [100_000, 2]) {
  tokenStoreContract(`token cache over memory (maxEntries ${maxEntries})`, async () => ({
    store: new CachingTokenStore(new MemoryTokenStore(), { ttlMs: 60_000, maxEntries }),
    teardown: async () => {},
  }));
}
