import { createHmac } from 'node:crypto';
import type { ResetNotifier } from '../core/ports.js';
import type { Logger } from '../logger.js';

export interface WebhookOptions {
  url: string;
  secret: string;
  timeoutMs?: number;
  attempts?: number;
  backoffMs?: number;
}

export function signBody(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** POSTs the reset as JSON, signed with X-Signature (hex HMAC-SHA256 of the body), with a timeout and bounded retries. */
export function createWebhookNotifier(options: WebhookOptions, logger: Logger): ResetNotifier {
  const { url, secret, timeoutMs = 5000, attempts = 3, backoffMs = 500 } = options;
  return {
    async notify(reset) {
      const body = JSON.stringify({
        email: reset.email,
        userId: reset.userId,
        realm: reset.realm,
        token: reset.token,
        expiresAt: reset.expiresAt.toISOString(),
      });
      const headers = { 'content-type': 'application/json', 'x-signature': signBody(body, secret) };
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
          await response.body?.cancel();
          if (response.ok) {
            logger.info({ userId: reset.userId, attempt }, 'reset notification delivered');
            return;
          }
          // A 4xx other than 408/429 will not get better by retrying.
          if (response.status < 500 && response.status !== 408 && response.status !== 429) {
            logger.error({ userId: reset.userId, status: response.status }, 'reset webhook refused the notification');
            return;
          }
          logger.warn({ userId: reset.userId, status: response.status, attempt }, 'reset webhook failed');
        } catch (err) {
          const reason = err instanceof Error ? err.name : 'error';
          logger.warn({ userId: reset.userId, reason, attempt }, 'reset webhook unreachable');
        }
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
      }
      logger.error({ userId: reset.userId, attempts }, 'reset notification not delivered');
    },
  };
}

/** Development only (refused in production by config): logs the token so a developer can finish the flow by hand. */
export function createLogNotifier(logger: Logger): ResetNotifier {
  return {
    async notify(reset) {
      logger.warn(
        { userId: reset.userId, realm: reset.realm, resetToken: reset.token, expiresAt: reset.expiresAt.toISOString() },
        'no RESET_WEBHOOK_URL: reset token logged for development',
      );
    },
  };
}
