import type { CoreContext } from '../context.js';
import { attemptKey } from './attempt-key.js';
import { admitAttempt } from './attempts.js';

/**
 * Whether one more notification of a kind (a password reset, an email verification) may go to this
 * email now: resetMaxPerWindow of each kind, then none until resetWindowMs after the last.
 */
export async function notificationAllowed(ctx: CoreContext, kind: 'reset' | 'verify', realm: string, email: string): Promise<boolean> {
  const { resetMaxPerWindow, resetWindowMs } = ctx.policy;
  const admission = await admitAttempt(ctx, attemptKey(kind, realm, email), resetWindowMs, ({ count, latest }, now) =>
    count < resetMaxPerWindow || !latest ? 0 : latest.at.getTime() + resetWindowMs - now.getTime(),
  );
  return admission.admitted;
}
