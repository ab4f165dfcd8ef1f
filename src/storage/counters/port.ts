/** A count of events per key inside a window that starts at its first event. */
export interface Counter {
  count: number;
  first: Date;
  last: Date;
}

/** The counters aggregate: login failures and reset requests, shared by every replica. */
export interface CounterStore {
  /**
   * Adds one event to the counter of `key`, first discarding it when its window began before
   * `windowStart`; returns the counter after the event.
   */
  hit(key: string, now: Date, windowStart: Date): Promise<Counter>;
  get(key: string): Promise<Counter | undefined>;
  delete(key: string): Promise<void>;
}
