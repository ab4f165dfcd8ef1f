import { createMemoryStorage } from '../../src/storage/memory.js';
import { attemptStoreContract } from './contracts/attempts.js';
import { tokenStoreContract } from './contracts/tokens.js';
import { userStoreContract } from './contracts/users.js';

const teardown = async () => {};
userStoreContract('memory', async () => ({ store: createMemoryStorage().users, teardown }));
tokenStoreContract('memory', async () => ({ store: createMemoryStorage().tokens, teardown }));
attemptStoreContract('memory', async () => ({ store: createMemoryStorage().attempts, teardown }));
