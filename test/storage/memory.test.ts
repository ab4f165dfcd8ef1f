import { createMemoryStorage } from '../../src/storage/memory.js';
import { attemptStoreContract } from './contracts/attempts.js';
import { identityStoreContract } from './contracts/identities.js';
import { loginStateStoreContract } from './contracts/login-states.js';
import { tokenStoreContract } from './contracts/tokens.js';
import { userStoreContract } from './contracts/users.js';

const teardown = async () => {};
userStoreContract('memory', async () => ({ store: createMemoryStorage().users, teardown }));
tokenStoreContract('memory', async () => ({ store: createMemoryStorage().tokens, teardown }));
attemptStoreContract('memory', async () => ({ store: createMemoryStorage().attempts, teardown }));
identityStoreContract('memory', async () => ({ store: createMemoryStorage().identities, teardown }));
loginStateStoreContract('memory', async () => ({ store: createMemoryStorage().loginStates, teardown }));
