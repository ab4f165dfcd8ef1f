import type { LoginStateRecord, LoginStateStore } from './port.js';

/** Login states in a map, lost on restart; each method is atomic (one turn of the event loop). */
export class MemoryLoginStateStore implements LoginStateStore {
  private readonly states = new Map<string, LoginStateRecord>();

  async insert(state: LoginStateRecord): Promise<void> {
    this.states.set(state.stateHash, { ...state });
  }

  async take(stateHash: string): Promise<LoginStateRecord | undefined> {
    const state = this.states.get(stateHash);
    this.states.delete(stateHash);
    return state;
  }

  /** Drops states past their expiry; the embedded backend's sweep calls it. */
  sweep(now: Date): number {
    let dropped = 0;
    for (const state of this.states.values()) {
      if (state.expiresAt <= now) {
        this.states.delete(state.stateHash);
        dropped++;
      }
    }
    return dropped;
  }
}
