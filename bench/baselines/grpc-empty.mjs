// The ceiling of any grpc-js service on this machine: auth.v1.AuthService/ValidateToken with the
// service's own generated (de)serializers and server options, and a handler that answers a constant.
// Env: PORT (0 for any).
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { AuthServiceService } from '../../dist/gen/auth/v1/auth.js';
import { grpcLimitsFrom } from '../../dist/app.js';
import { loadConfig } from '../../dist/config.js';
import { grpcServerOptions } from '../../dist/transport/grpc/limits.js';

// What the service answers for an active token, so that both encode the same message.
const created = new Date();
const response = {
  active: true,
  userId: '0123456789abcdef01234567',
  scopes: [],
  created,
  expiresAt: new Date(created.getTime() + 1209600_000),
  ttlSeconds: 1209600,
  realm: '',
  user: undefined,
};

// The service's own per-client limits, at their defaults.
const server = new Server(grpcServerOptions(grpcLimitsFrom(loadConfig({ NODE_ENV: 'test' }))));
server.addService(
  { validateToken: AuthServiceService.validateToken },
  { validateToken: (_call, callback) => callback(null, response) },
);
server.bindAsync(`127.0.0.1:${process.env.PORT ?? 0}`, ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(JSON.stringify({ msg: 'baseline started', port }) + '\n');
});
process.on('SIGTERM', () => server.forceShutdown());
