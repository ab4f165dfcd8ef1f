import { createHmac } from 'node:crypto';
import type { AuthNotification, Notifier } from '../core/ports.js';
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

/** The JSON body of an event: its id, type and time first, then its own fields (dates as ISO 8601). */
function eventBody({ id, type, occurredAt, ...fields }: AuthNotification): string {
  return JSON.stringify({ id, type, occurredAt, ...fields });
}

/**
 * POSTs each event as JSON, signed with X-Signature (hex HMAC-SHA256 of the body), with a timeout
 * and bounded retries; every attempt sends the same body, so the same event id.
 */
export function createWebhookNotifier(options: WebhookOptions, logger: Logger): Notifier {
  const { url, secret, timeoutMs = 5000, attempts = 3, backoffMs = 500 } = options;
  return {
    async notify(event) {
      const body = eventBody(event);
      const headers = { 'content-type': 'application/json', 'x-signature': signBody(body, secret) };
      const about = { eventId: event.id, type: event.type, userId: event.userId };
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
          await response.body?.cancel();
          if (response.ok) {
            logger.info({ ...about, attempt }, 'notification delivered');
            return;
          }
          // A 4xx other than 408/429 will not get better by retrying.
          if (response.status < 500 && response.status !== 408 && response.status !== 429) {
            logger.error({ ...about, status: response.status }, 'webhook refused the notification');
            return;
          }
          logger.warn({ ...about, status: response.status, attempt }, 'webhook failed');
        } catch (err) {
          const reason = err instanceof Error ? err.name : 'error';
          logger.warn({ ...about, reason, attempt }, 'webhook unreachable');
        }
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
      }
      logger.error({ ...about, attempts }, 'notification not delivered');
    },
  };
}

/** Development only (refused in production by config): logs each event, and its token so a developer can finish the flow by hand. */
export function createLogNotifier(logger: Logger): Notifier {
  return {
    async notify(event) {
      const about = { eventId: event.id, type: event.type, userId: event.userId, realm: event.realm };
      if ('token' in event) {
        logger.warn({ ...about, tokenForDevelopment: event.token, expiresAt: event.expiresAt.toISOString() }, 'no RESET_WEBHOOK_URL: token logged for development');
      } else {
        logger.info(about, 'no RESET_WEBHOOK_URL: account event logged');
      }
    },
  };
}
