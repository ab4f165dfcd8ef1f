import { pino } from 'pino';
import { AuthService, type AuthPolicy } from '../../src/auth-service.js';
import type { PasswordReset, ResetNotifier } from '../../src/notifier.js';
import { createBcryptHasher } from '../../src/passwords.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';

export const testPolicy: AuthPolicy = {
  defaultTtlSeconds: 1209600,
  maxTtlSeconds: 31556926,
  allowEternalTokens: false,
  resetTokenTtlSeconds: 900,
  loginMaxFailures: 5,
  loginLockBaseMs: 1000,
  loginLockMaxMs: 900000,
  resetMaxPerWindow: 3,
  resetWindowMs: 900000,
};

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public time = Date.parse('2026-01-01T00:00:00Z')) {}
  now = (): Date => new Date(this.time);
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Collects what the service hands the notifier, in place of the webhook. */
export class CapturingNotifier implements ResetNotifier {
  readonly sent: PasswordReset[] = [];
  async notify(reset: PasswordReset): Promise<void> {
    this.sent.push(reset);
  }
  last(): PasswordReset {
    const reset = this.sent.at(-1);
    if (!reset) throw new Error('no reset notification was sent');
    return reset;
  }
}

export interface ServiceFixture {
  service: AuthService;
  store: Store;
  notifier: CapturingNotifier;
  clock: TestClock;
}

export async function createTestService(policy: Partial<AuthPolicy> = {}, store: Store = new MemoryStore(), bcryptCost = 4): Promise<ServiceFixture> {
  const clock = new TestClock();
  const notifier = new CapturingNotifier();
  const service = new AuthService({
    store,
    hasher: await createBcryptHasher(bcryptCost),
    notifier,
    policy: { ...testPolicy, ...policy },
    logger: pino({ level: 'silent' }),
    now: clock.now,
  });
  return { service, store, notifier, clock };
}
