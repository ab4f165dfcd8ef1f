import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createWebhookNotifier, signBody } from '../../src/adapters/notifiers.js';
import type { AuthNotification } from '../../src/core/ports.js';

describe('the webhook notifier', () => {
  const received: { raw: string; signature: string | undefined }[] = [];
  /** Answers 503 to the first delivery of each event, 204 after. */
  const failedOnce = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ raw, signature: req.headers['x-signature'] as string | undefined });
      const { id } = JSON.parse(raw) as { id: string };
      if (failedOnce.has(id)) res.writeHead(204).end();
      else {
        failedOnce.add(id);
        res.writeHead(503).end();
      }
    });
  });
  let url = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('posts each event as signed JSON, its id, type and time first, and retries it with the same id', async () => {
    const notifier = createWebhookNotifier({ url, secret: 's3cret', backoffMs: 1 }, pino({ level: 'silent' }));
    const event: AuthNotification = {
      id: '3f1c5a8e-0000-4000-8000-000000000001',
      occurredAt: new Date('2026-01-01T00:00:00Z'),
      type: 'email-verification',
      email: 'ann@example.com',
      userId: 'u1',
      realm: '',
      token: 'T'.repeat(64),
      expiresAt: new Date('2026-01-02T00:00:00Z'),
    };
    await notifier.notify(event);
    assert.equal(received.length, 2, 'one failed delivery, one retry');
    const [first, retry] = received;
    assert.equal(retry?.raw, first?.raw, 'the same body, so the same event id');
    assert.equal(first?.signature, signBody(first?.raw ?? '', 's3cret'));
    assert.deepEqual(Object.keys(JSON.parse(first?.raw ?? '{}') as object), ['id', 'type', 'occurredAt', 'email', 'userId', 'realm', 'token', 'expiresAt']);
    assert.deepEqual(JSON.parse(first?.raw ?? '{}'), {
      id: event.id,
      type: 'email-verification',
      occurredAt: '2026-01-01T00:00:00.000Z',
      email: 'ann@example.com',
      userId: 'u1',
      realm: '',
      token: 'T'.repeat(64),
      expiresAt: '2026-01-02T00:00:00.000Z',
    });
  });
});
