import type { AttemptStore } from './attempts/port.js';
import type { IdentityStore } from './identities/port.js';
import type { LoginStateStore } from './login-states/port.js';
import type { TokenStore } from './tokens/port.js';
import type { UserStore } from './users/port.js';

/** Connection and health of a storage backend, apart from the aggregates it serves. */
export interface StorageLifecycle {
  /** Connects and prepares (indexes, expiry); idempotent, and re-callable after a failure. */
  init(): Promise<void>;
  /** Throws StoreUnavailableError when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One backend's implementation of every storage port. */
export interface Storage {
  users: UserStore;
  tokens: TokenStore;
  attempts: AttemptStore;
  identities: IdentityStore;
  loginStates: LoginStateStore;
  lifecycle: StorageLifecycle;
}
