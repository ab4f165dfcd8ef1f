import assert from 'node:assert/strict';
import { it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { AuthError, ErrorCode } from '../../src/core/errors.js';
import { createTestService } from '../support/service.js';

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

it('Login costs the same for an unknown user and a wrong password', async () => {
  // Real hashing work (cost 8) so that a skipped compare would stand out; the throttle is lifted
  // so that every attempt reaches the password check.
  const fx = await createTestService({ loginMaxFailures: 10_000 }, undefined, 8);
  await fx.service.createUser({ email: 'known@example.com', password: 'correct horse' });
  const attempt = async (email: string): Promise<number> => {
    const started = performance.now();
    await assert.rejects(fx.service.login({ email, password: 'wrong password' }), (err: AuthError) => err.code === ErrorCode.LOGIN_FAILED);
    return performance.now() - started;
  };
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 25; i++) {
    known.push(await attempt('known@example.com'));
    unknown.push(await attempt(`nobody${i}@example.com`));
  }
  const ratio = median(unknown) / median(known);
  // Generous: noise on a shared machine, not a skipped bcrypt (which would be a ratio near 0).
  assert.ok(ratio > 0.7 && ratio < 1.4, `unknown/known median ratio ${ratio.toFixed(2)}`);
});
