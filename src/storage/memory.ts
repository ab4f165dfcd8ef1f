import { MemoryCounterStore } from './counters/memory.js';
import type { Storage } from './storage.js';
import { MemoryTokenStore } from './tokens/memory.js';
import { MemoryUserStore } from './users/memory.js';

/** The embedded backend for development and tests: nothing to connect to, nothing survives a restart. */
export function createMemoryStorage(): Storage {
  return {
    users: new MemoryUserStore(),
    tokens: new MemoryTokenStore(),
    counters: new MemoryCounterStore(),
    lifecycle: { init: async () => {}, ping: async () => {}, close: async () => {} },
  };
}
