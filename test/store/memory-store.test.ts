import { MemoryStore } from '../../src/store/memory-store.js';
import { storeContract } from './contract.js';

storeContract('MemoryStore', async () => {
  const store = new MemoryStore();
  await store.init();
  return { store, teardown: () => store.close() };
});
