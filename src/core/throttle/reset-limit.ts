import type { CoreContext } from '../context.js';
import { counterKey } from './counter-key.js';

/** Whether one more reset notification may go to this email now (resetMaxPerWindow per resetWindowMs). */
export async function resetAllowed(ctx: CoreContext, realm: string, email: string): Promise<boolean> {
  const now = ctx.now();
  const windowStart = new Date(now.getTime() - ctx.policy.resetWindowMs);
  const counter = await ctx.counters.hit(counterKey('reset', realm, email), now, windowStart);
  return counter.count <= ctx.policy.resetMaxPerWindow;
}
