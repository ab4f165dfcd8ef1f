import { createMemoryStorage } from '../../src/storage/memory.js';
import { counterStoreContract } from './contracts/counters.js';
import { tokenStoreContract } from './contracts/tokens.js';
import { userStoreContract } from './contracts/users.js';

const teardown = async () => {};
userStoreContract('memory', async () => ({ store: createMemoryStorage().users, teardown }));
tokenStoreContract('memory', async () => ({ store: createMemoryStorage().tokens, teardown }));
counterStoreContract('memory', async () => ({ store: createMemoryStorage().counters, teardown }));
