import { randomUUID } from 'node:crypto';
import type { CoreContext } from './context.js';
import type { Notice } from './ports.js';

/**
 * Hands a notice to the notifier with a fresh event id, and does not wait for the delivery: its
 * retries must not show in the answer's timing (nor tell, for ResetPassword, that the email exists).
 */
export function notify(ctx: CoreContext, notice: Notice): void {
  void ctx.notifier.notify({ ...notice, id: randomUUID(), occurredAt: ctx.now() });
}
