// The memory floor of this service's kind on Node.js: the runtime with grpc-js and Fastify, a gRPC
// server with nothing on it, and POST /api/tokens/validate answering a constant as the service
// answers an active token. No store, no hashing threads, no metrics. Env: PORT (0 for any).
import { Server, ServerCredentials } from '@grpc/grpc-js';
import Fastify from 'fastify';

const created = new Date();
const answer = {
  active: true,
  userId: '0123456789abcdef01234567',
  scopes: [],
  ttl: 1209600,
  created: created.toISOString(),
  expiresAt: new Date(created.getTime() + 1209600_000).toISOString(),
};

const grpc = new Server();
await new Promise((resolve, reject) => grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
const http = Fastify();
http.post('/api/tokens/validate', async () => answer);
const address = await http.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(JSON.stringify({ msg: 'baseline started', url: address }) + '\n');
process.on('SIGTERM', () => {
  grpc.forceShutdown();
  void http.close();
});
