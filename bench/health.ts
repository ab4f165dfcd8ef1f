import { Client, credentials } from '@grpc/grpc-js';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * grpc.health.v1 spoken without a proto: the empty request is zero bytes, and a SERVING answer is
 * field 1 (status) = 1, i.e. bytes 08 01.
 */
const SERVING = Buffer.from([0x08, 0x01]);
const POLL_MS = 2;

/** Resolves once grpc.health.v1.Health/Check on `address` answers SERVING, polling every few ms. */
export async function waitServing(address: string, timeoutMs: number): Promise<void> {
  // Reconnect backoff is normally 1 s and growing; polling fast needs it near zero.
  const client = new Client(address, credentials.createInsecure(), {
    'grpc.initial_reconnect_backoff_ms': POLL_MS,
    'grpc.max_reconnect_backoff_ms': POLL_MS,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const answer = await new Promise<Buffer | undefined>((resolve) =>
        client.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          () => Buffer.alloc(0),
          (bytes: Buffer) => bytes,
          {},
          { deadline: Math.min(deadline, Date.now() + 250) },
          (err, value) => resolve(err ? undefined : value),
        ),
      );
      if (answer?.equals(SERVING)) return;
      await delay(POLL_MS);
    }
    throw new Error(`${address} was not SERVING within ${timeoutMs} ms`);
  } finally {
    client.close();
  }
}
