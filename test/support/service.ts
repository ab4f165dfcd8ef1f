import { after } from 'node:test';
import { pino } from 'pino';
import { createBcryptHasher, type BcryptHasher } from '../../src/adapters/bcrypt-hasher.js';
import { createAuthCore, type AuthCore } from '../../src/core/auth-core.js';
import type { AuthPolicy, CoreContext } from '../../src/core/context.js';
import { ignoreEvents } from '../../src/core/events.js';
import { noIdentityProviders, type AuthNotification, type Notifier } from '../../src/core/ports.js';
import { createMemoryStorage } from '../../src/storage/memory.js';
import type { Storage } from '../../src/storage/storage.js';

export const testPolicy: AuthPolicy = {
  defaultTtlSeconds: 1209600,
  maxTtlSeconds: 31556926,
  allowEternalTokens: false,
  resetTokenTtlSeconds: 900,
  emailVerificationRequired: false,
  verificationTokenTtlSeconds: 86400,
  loginMaxFailures: 5,
  loginLockBaseMs: 1000,
  loginLockMaxMs: 900000,
  resetMaxPerWindow: 3,
  resetWindowMs: 900000,
  idleTimeoutSeconds: 0,
  maxSessionsPerUser: 100,
  signupOpen: true,
  signupMaxPerWindow: 10,
  signupWindowMs: 3600000,
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
export class CapturingNotifier implements Notifier {
  readonly sent: AuthNotification[] = [];
  async notify(notification: AuthNotification): Promise<void> {
    this.sent.push(notification);
  }
  /** The latest notification of the type (by default, a password reset). */
  last<T extends AuthNotification['type'] = 'password-reset'>(type: T = 'password-reset' as T): Extract<AuthNotification, { type: T }> {
    const found = this.sent.findLast((notification): notification is Extract<AuthNotification, { type: T }> => notification.type === type);
    if (!found) throw new Error(`no ${type} notification was sent`);
    return found;
  }
}

export type TestStores = Pick<Storage, 'users' | 'tokens' | 'attempts' | 'identities' | 'loginStates'>;

export interface ServiceFixture {
  service: AuthCore;
  store: TestStores;
  notifier: CapturingNotifier;
  clock: TestClock;
  context: CoreContext;
}

/** One hashing pool per cost for the whole test file, closed when the file's tests are done. */
const hashers = new Map<number, Promise<BcryptHasher>>();
after(async () => {
  for (const hasher of hashers.values()) await (await hasher).close();
});

function testHasher(cost: number): Promise<BcryptHasher> {
  let hasher = hashers.get(cost);
  if (!hasher) hashers.set(cost, (hasher = createBcryptHasher({ cost, maxQueued: 10_000 })));
  return hasher;
}

/** The core on the in-memory stores (or the given ones), with a hand-moved clock and a capturing notifier. */
export async function createTestService(policy: Partial<AuthPolicy> = {}, stores: Partial<TestStores> = {}, bcryptCost = 4): Promise<ServiceFixture> {
  const clock = new TestClock();
  const notifier = new CapturingNotifier();
  const store = { ...createMemoryStorage(), ...stores };
  const context: CoreContext = {
    users: store.users,
    tokens: store.tokens,
    attempts: store.attempts,
    identities: store.identities,
    loginStates: store.loginStates,
    hasher: await testHasher(bcryptCost),
    notifier,
    providers: noIdentityProviders,
    policy: { ...testPolicy, ...policy },
    logger: pino({ level: 'silent' }),
    events: ignoreEvents,
    now: clock.now,
  };
  return { service: createAuthCore(context), store, notifier, clock, context };
}
