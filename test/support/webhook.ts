import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { id: string; type: string; occurredAt: string; email: string; userId: string; realm: string; token: string; expiresAt: string };
}

/** A local HTTP receiver standing in for the notification webhook. */
export async function startWebhookReceiver(respondWith = 204) {
  const deliveries: Delivery[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      deliveries.push({ headers: req.headers, raw, body: JSON.parse(raw) as Delivery['body'] });
      res.writeHead(respondWith).end();
      waiters.splice(0).forEach((wake) => wake());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/reset`,
    deliveries,
    /** Resolves with delivery number `count` (1-based) once it has arrived. */
    async waitFor(count: number, timeoutMs = 5000): Promise<Delivery> {
      const deadline = Date.now() + timeoutMs;
      while (deliveries.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} webhook deliveries, got ${deliveries.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return deliveries[count - 1] as Delivery;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
