/** Issue 18's attacks on the core, on the in-memory store: each would succeed on the earlier code. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HashQueue } from '../../src/adapters/hash-queue.js';
import { ErrorCode } from '../../src/core/errors.js';
import { accountLockKey, checkUnderLock } from '../../src/core/throttle/login-lock.js';
import type { AttemptStore } from '../../src/storage/attempts/port.js';
import type { PasswordHasher } from '../../src/core/ports.js';
import { createMemoryStorage } from '../../src/storage/memory.js';
import { token } from '../storage/contracts/fixtures.js';
import { createTestService, type ServiceFixture } from '../support/service.js';

const PASSWORD = 'correct horse';

/** Counts the password checks that really ran. */
function countChecks(fx: ServiceFixture): { checks: number } {
  const counter = { checks: 0 };
  const inner: PasswordHasher = fx.context.hasher;
  fx.context.hasher = {
    hash: (password, call) => inner.hash(password, call),
    verify: async (password, hash, call) => {
      const ok = await inner.verify(password, hash, call);
      counter.checks++;
      return ok;
    },
    verifyNothing: async (password, call) => {
      const ok = await inner.verifyNothing(password, call);
      counter.checks++;
      return ok;
    },
    needsRehash: (hash) => inner.needsRehash(hash),
    refusal: (call) => inner.refusal(call),
  };
  return counter;
}

const codeOf = (result: PromiseSettledResult<unknown>): string | undefined =>
  result.status === 'rejected' ? (result.reason as { code?: string }).code : 'OK';

describe('the login lock under concurrent guesses', () => {
  it('runs at most 5 checks for 50 concurrent wrong guesses and the right password, and leaves the account locked', async () => {
    const fx = await createTestService();
    await fx.service.createUser({ email: 'ann@example.com', username: 'ann', password: PASSWORD });
    const counted = countChecks(fx);
    const attempts = [
      ...Array.from({ length: 25 }, (_, i) => fx.service.login({ email: 'ann@example.com', password: `wrong ${i}` })),
      fx.service.login({ email: 'ann@example.com', password: PASSWORD }),
      ...Array.from({ length: 25 }, (_, i) => fx.service.login({ username: 'ann', password: `wrong ${i}` })),
    ];
    const results = await Promise.allSettled(attempts);
    assert.ok(counted.checks <= 5, `${counted.checks} checks ran`);
    assert.ok(results.every((r) => ['OK', ErrorCode.LOGIN_FAILED, ErrorCode.TOO_MANY_ATTEMPTS].includes(codeOf(r) ?? '')));
    await assert.rejects(fx.service.login({ email: 'ann@example.com', password: PASSWORD }), { code: ErrorCode.TOO_MANY_ATTEMPTS });
  });

  it('is one lock for the account whichever identifier reaches it', async () => {
    const fx = await createTestService();
    await fx.service.createUser({ email: 'ann@example.com', username: 'ann', password: PASSWORD });
    for (let i = 0; i < 5; i++) await assert.rejects(fx.service.login({ email: 'ann@example.com', password: 'wrong' }), { code: ErrorCode.LOGIN_FAILED });
    await assert.rejects(fx.service.login({ username: 'ann', password: PASSWORD }), { code: ErrorCode.TOO_MANY_ATTEMPTS });
  });

  it('lets a success clear the count only when no other attempt overlapped it', async () => {
    const fx = await createTestService();
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const ann = await fx.store.users.findByEmail('', 'ann@example.com');
    assert.ok(ann);
    const wrong = () => fx.service.login({ email: 'ann@example.com', password: 'wrong' });
    for (let i = 0; i < 2; i++) await assert.rejects(wrong());
    await fx.service.login({ email: 'ann@example.com', password: PASSWORD });
    assert.equal((await fx.store.attempts.tally(accountLockKey(ann))).latest, undefined, 'a success alone clears the failures before it');

    for (let i = 0; i < 2; i++) await assert.rejects(wrong());
    // The right password and two wrong ones at once: the success logs in, the failures stay counted.
    const results = await Promise.allSettled([fx.service.login({ email: 'ann@example.com', password: PASSWORD }), wrong(), wrong()]);
    assert.deepEqual(results.map(codeOf), ['OK', ErrorCode.LOGIN_FAILED, ErrorCode.LOGIN_FAILED]);
    assert.equal((await fx.store.attempts.tally(accountLockKey(ann))).count, 4, 'the four failures, not the success');
    await assert.rejects(wrong(), { code: ErrorCode.LOGIN_FAILED });
    await assert.rejects(fx.service.login({ email: 'ann@example.com', password: PASSWORD }), { code: ErrorCode.TOO_MANY_ATTEMPTS });
  });

  it('never locks an account for concurrent logins with the right password, however long they go on', async () => {
    const fx = await createTestService();
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    // Four clients logging in back to back: some login is always in flight when another ends.
    const client = async () => {
      for (let i = 0; i < 8; i++) await fx.service.login({ email: 'ann@example.com', password: PASSWORD });
    };
    await Promise.all(Array.from({ length: 4 }, client));
    const ann = await fx.store.users.findByEmail('', 'ann@example.com');
    assert.ok(ann);
    assert.equal((await fx.store.attempts.tally(accountLockKey(ann))).count, 0, 'nothing left counted');
  });

  it('refuses a caller whose number fills a gap below an attempt taken meanwhile', async () => {
    const fx = await createTestService();
    const key = 'login:race';
    const store = fx.context.attempts;
    const at = fx.context.now();
    const later = new Date(at.getTime() + 3_600_000);
    for (let n = 1; n <= 4; n++) {
      await store.record(key, { n, at }, later);
      await store.settle(key, n);
    }
    // This caller read the key while attempt 5 was in flight; 5 was given back, and another caller
    // took number 6 before this one stored its own: it takes 5, the fifth attempt counted.
    const stale = await store.tally(key);
    await store.record(key, { n: 6, at }, later);
    let looks = 0;
    const racing: AttemptStore = Object.assign(Object.create(store) as AttemptStore, {
      tally: (k: string, except?: number) => (looks++ === 0 ? Promise.resolve(stale) : store.tally(k, except)),
    });
    let checked = false;
    const check = async () => (checked = true);
    await assert.rejects(checkUnderLock({ ...fx.context, attempts: racing }, key, check), { code: ErrorCode.TOO_MANY_ATTEMPTS });
    assert.equal(checked, false, 'no sixth check ran');
    assert.equal((await store.tally(key)).count, 5, 'its number was given back');
  });

  it('gives back the attempt of a call dropped before its check ran', async () => {
    const fx = await createTestService();
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const counted = countChecks(fx);
    const gone = new AbortController();
    gone.abort();
    for (let i = 0; i < 10; i++) {
      await assert.rejects(fx.service.login({ email: 'ann@example.com', password: PASSWORD }, { signal: gone.signal }), { code: ErrorCode.CANCELLED });
    }
    assert.equal(counted.checks, 0);
    await fx.service.login({ email: 'ann@example.com', password: PASSWORD });
  });
});

describe('shedding instead of queueing', () => {
  const slowJob = (ms: number) => () => new Promise<string>((resolve) => setTimeout(() => resolve('done'), ms));

  it('refuses at once, with a delay to retry after, when the queue is full', async () => {
    const queue = new HashQueue<string>({ concurrency: 1, maxQueued: 2, initialJobMs: 20 });
    const accepted = [queue.submit(slowJob(20)), queue.submit(slowJob(20)), queue.submit(slowJob(20))];
    await assert.rejects(queue.submit(slowJob(20)), (err: { code?: string; retryAfterMs?: number }) => {
      assert.equal(err.code, ErrorCode.SERVICE_OVERLOADED);
      assert.ok((err.retryAfterMs ?? 0) > 0);
      return true;
    });
    assert.deepEqual(await Promise.all(accepted), ['done', 'done', 'done']);
  });

  it('refuses a job that could not finish before its deadline', async () => {
    const now = 1_000_000;
    const queue = new HashQueue<string>({ concurrency: 2, maxQueued: 100, initialJobMs: 100, now: () => now });
    const gates: Array<() => void> = [];
    const held = () => new Promise<string>((resolve) => gates.push(() => resolve('done')));
    const running = [queue.submit(held), queue.submit(held), queue.submit(held), queue.submit(held)];
    // Two jobs wait for two threads busy for ~100 ms each: about 150 ms until a new one could start.
    await assert.rejects(queue.submit(held, { deadline: now + 120 }), { code: ErrorCode.SERVICE_OVERLOADED });
    const admitted = queue.submit(held, { deadline: now + 1000 });
    const releasing = setInterval(() => gates.splice(0).forEach((open) => open()), 5);
    try {
      assert.deepEqual(await Promise.all([...running, admitted]), ['done', 'done', 'done', 'done', 'done']);
    } finally {
      clearInterval(releasing);
    }
  });

  /** A queue on a clock the test moves, with jobs that end when the test says. */
  function heldQueue(concurrency: number) {
    const clock = { now: 1_000_000 };
    const queue = new HashQueue<string>({ concurrency, maxQueued: 100, initialJobMs: 100, now: () => clock.now });
    const started: string[] = [];
    const gates: Array<() => void> = [];
    const job = (name: string) => () => {
      started.push(name);
      return new Promise<string>((resolve) => gates.push(() => resolve(name)));
    };
    /** Ends the oldest running job and lets the queue start the next. */
    const finishOne = async () => {
      gates.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    };
    return { clock, queue, started, job, finishOne };
  }

  it('serves the earliest deadline first', async () => {
    const { clock, queue, started, job, finishOne } = heldQueue(1);
    const running = queue.submit(job('running'));
    const relaxed = queue.submit(job('relaxed'), { deadline: clock.now + 10_000 });
    const urgent = queue.submit(job('urgent'), { deadline: clock.now + 5_000 });
    const patient = queue.submit(job('patient'));
    for (let i = 0; i < 4; i++) await finishOne();
    assert.deepEqual(await Promise.all([running, relaxed, urgent, patient]), ['running', 'relaxed', 'urgent', 'patient']);
    assert.deepEqual(started, ['running', 'urgent', 'relaxed', 'patient']);
  });

  it('refuses a job that would make a waiting job late, and takes it behind that job instead', async () => {
    const { clock, queue, job, finishOne } = heldQueue(1);
    // One job runs until ~+100 ms; one waits to finish at ~+200 ms, due at +250 ms.
    const accepted = [queue.submit(job('running')), queue.submit(job('waiting'), { deadline: clock.now + 250 })];
    // Due at +210 ms it would go first and finish in time, but push the waiting one to +300 ms.
    await assert.rejects(queue.submit(job('pushy'), { deadline: clock.now + 210 }), { code: ErrorCode.SERVICE_OVERLOADED });
    accepted.push(queue.submit(job('behind'), { deadline: clock.now + 400 }));
    for (let i = 0; i < 3; i++) await finishOne();
    assert.deepEqual(await Promise.all(accepted), ['running', 'waiting', 'behind']);
  });

  it('sheds a waiting job whose turn comes too late for it to finish, without running it', async () => {
    const { clock, queue, started, job, finishOne } = heldQueue(1);
    const running = queue.submit(job('running'));
    const late = queue.submit(job('late'), { deadline: clock.now + 250 });
    const shed = assert.rejects(late, (err: { code?: string; retryAfterMs?: number }) => {
      assert.equal(err.code, ErrorCode.SERVICE_OVERLOADED);
      assert.ok((err.retryAfterMs ?? 0) > 0);
      return true;
    });
    clock.now += 200; // the running job took twice the time expected: 50 ms left, a check takes 100+
    await finishOne();
    await shed;
    assert.equal(await running, 'running');
    assert.deepEqual(started, ['running']);
  });

  it('gives a free thread any job, however close its deadline', async () => {
    const { clock, queue, job, finishOne } = heldQueue(1);
    const tight = queue.submit(job('tight'), { deadline: clock.now + 10 });
    await finishOne();
    assert.equal(await tight, 'tight');
  });

  it('tells before any other work whether a call would be refused', () => {
    const { clock, queue, job } = heldQueue(1);
    assert.equal(queue.refusal({ deadline: clock.now + 10 }), undefined, 'a free thread');
    void queue.submit(job('running'));
    assert.equal(queue.refusal({ deadline: clock.now + 150 })?.code, ErrorCode.SERVICE_OVERLOADED);
    assert.equal(queue.refusal({ deadline: clock.now + 250 }), undefined);
    assert.equal(queue.refusal({ deadline: clock.now - 1 })?.code, ErrorCode.CANCELLED);
  });

  it('drops a waiting job whose caller left, without running it', async () => {
    const queue = new HashQueue<string>({ concurrency: 1, maxQueued: 10, initialJobMs: 20 });
    let ran = 0;
    const counted = () => {
      ran++;
      return slowJob(20)();
    };
    const first = queue.submit(counted);
    const caller = new AbortController();
    const dropped = queue.submit(counted, { signal: caller.signal });
    caller.abort();
    await assert.rejects(dropped, { code: ErrorCode.CANCELLED });
    await first;
    assert.equal(ran, 1);
  });

  it('issues no token to a caller who left while its password was checked', async () => {
    const fx = await createTestService();
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const caller = new AbortController();
    const inner = fx.context.hasher;
    fx.context.hasher = {
      ...inner,
      verify: async (password, hash, call) => {
        const ok = await inner.verify(password, hash, call);
        caller.abort(); // the client gives up while bcrypt runs
        return ok;
      },
    };
    await assert.rejects(fx.service.login({ email: 'ann@example.com', password: PASSWORD }, { signal: caller.signal }), { code: ErrorCode.CANCELLED });
    const user = await fx.store.users.findByEmail('', 'ann@example.com');
    assert.deepEqual(await fx.store.tokens.trimUser(user?.id ?? '', 0), [], 'no token was stored');
  });
});

describe('bounded state', () => {
  it('revokes the oldest tokens beyond MAX_SESSIONS_PER_USER', async () => {
    const fx = await createTestService({ maxSessionsPerUser: 3 });
    await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await fx.service.login({ email: 'ann@example.com', password: PASSWORD })).token.id);
      fx.clock.advance(1000);
    }
    const active = await Promise.all(ids.map(async (accessToken) => (await fx.service.validateToken({ accessToken })).active));
    assert.deepEqual(active, [false, false, true, true, true]);
  });

  it('sweeps expired tokens and attempts from the embedded store', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const storage = createMemoryStorage({ sweepIntervalMs: 10, now: () => now });
    await storage.lifecycle.init();
    try {
      const expiring = token({ expiresAt: new Date(now.getTime() + 1000) });
      const eternal = token({ expiresAt: undefined, ttlSeconds: -1 });
      await storage.tokens.insert(expiring);
      await storage.tokens.insert(eternal);
      await storage.attempts.record('k', { n: 1, at: now }, new Date(now.getTime() + 1000));
      now = new Date(now.getTime() + 1000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await storage.tokens.find(expiring.hash), undefined);
      assert.deepEqual(await storage.tokens.find(eternal.hash), eternal);
      assert.equal((await storage.attempts.tally('k')).latest, undefined);
    } finally {
      await storage.lifecycle.close();
    }
  });
});
