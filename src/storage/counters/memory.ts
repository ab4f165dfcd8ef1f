import type { Counter, CounterStore } from './port.js';

/** Counters in a map, lost on restart; each method is atomic (one turn of the event loop). */
export class MemoryCounterStore implements CounterStore {
  private readonly counters = new Map<string, Counter>();

  async hit(key: string, now: Date, windowStart: Date): Promise<Counter> {
    const current = this.counters.get(key);
    const counter =
      current && current.first >= windowStart
        ? { count: current.count + 1, first: current.first, last: now }
        : { count: 1, first: now, last: now };
    this.counters.set(key, counter);
    return counter;
  }

  async get(key: string): Promise<Counter | undefined> {
    return this.counters.get(key);
  }

  async delete(key: string): Promise<void> {
    this.counters.delete(key);
  }
}
