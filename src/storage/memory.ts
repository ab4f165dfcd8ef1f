import { MemoryAttemptStore } from './attempts/memory.js';
import { MemoryIdentityStore } from './identities/memory.js';
import { MemoryLoginStateStore } from './login-states/memory.js';
import type { Storage } from './storage.js';
import { MemoryTokenStore } from './tokens/memory.js';
import { MemoryUserStore } from './users/memory.js';

export interface MemoryStorageOptions {
  /** How often expired tokens, attempts and login states are dropped. */
  sweepIntervalMs: number;
  now?: () => Date;
}

/** The embedded backend for development and tests: nothing to connect to, nothing survives a restart. */
export function createMemoryStorage(options: MemoryStorageOptions = { sweepIntervalMs: 60_000 }): Storage {
  const tokens = new MemoryTokenStore();
  const attempts = new MemoryAttemptStore();
  const loginStates = new MemoryLoginStateStore();
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  return {
    users: new MemoryUserStore(),
    tokens,
    attempts,
    identities: new MemoryIdentityStore(),
    loginStates,
    lifecycle: {
      async init() {
        timer ??= setInterval(() => {
          const at = now();
          tokens.sweep(at);
          attempts.sweep(at);
          loginStates.sweep(at);
        }, options.sweepIntervalMs).unref();
      },
      ping: async () => {},
      async close() {
        clearInterval(timer);
        timer = undefined;
      },
    },
  };
}
