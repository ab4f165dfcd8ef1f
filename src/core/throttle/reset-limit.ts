import type { CoreContext } from '../context.js';
import { attemptKey } from './attempt-key.js';
import { admitAttempt } from './attempts.js';

/** Whether one more reset notification may go to this email now: resetMaxPerWindow, then none until resetWindowMs after the last. */
export async function resetAllowed(ctx: CoreContext, realm: string, email: string): Promise<boolean> {
  const { resetMaxPerWindow, resetWindowMs } = ctx.policy;
  const admission = await admitAttempt(ctx, attemptKey('reset', realm, email), resetWindowMs, (latest, now) =>
    latest.n < resetMaxPerWindow ? 0 : latest.at.getTime() + resetWindowMs - now.getTime(),
  );
  return admission.admitted;
}
