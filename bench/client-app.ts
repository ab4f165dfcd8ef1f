// A small Fastify service for the `client` scenario: GET /orders, protected by the client
// package's plugin (AUTH=cache or AUTH=nocache) or not at all (AUTH=none). Prints one JSON line
// with its port once it listens.
import Fastify from 'fastify';
import { createAuthClient } from '@auth-service/client';
import { fastifyAuth } from '@auth-service/client/fastify';

const mode = process.env.AUTH ?? 'none';
const app = Fastify();
if (mode !== 'none') {
  const client = createAuthClient({
    address: process.env.AUTH_SERVICE_ADDRESS ?? '',
    deadlineMs: 1000,
    cache: mode === 'cache' ? { ttlMs: Number(process.env.CACHE_TTL_MS ?? 5000) } : undefined,
  });
  await app.register(fastifyAuth, { client });
}
app.get('/orders', async (request) => ({ userId: request.auth?.userId ?? 'anonymous', orders: [] }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ msg: 'listening', port: Number(new URL(address).port) })}\n`);
