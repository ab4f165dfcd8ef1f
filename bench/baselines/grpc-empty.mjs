// The ceiling of any grpc-js service on this machine: auth.v1.AuthService/ValidateToken with the
// service's own generated (de)serializers and server options, and a handler that answers a constant.
// Login refuses every call at once with the status the service sends when it sheds one (the
// floor of refusing a login storm). Env: PORT (0 for any).
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { AuthError, ErrorCode } from '../../dist/core/errors.js';
import { toServiceError } from '../../dist/transport/grpc/status.js';
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
const overloaded = new AuthError(ErrorCode.SERVICE_OVERLOADED, 'too many password checks in progress, try again later', { retryAfterMs: 1000 });
server.addService(
  { validateToken: AuthServiceService.validateToken, login: AuthServiceService.login },
  {
    validateToken: (_call, callback) => callback(null, response),
    login: (_call, callback) => callback(toServiceError(overloaded)),
  },
);
server.bindAsync(`127.0.0.1:${process.env.PORT ?? 0}`, ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(JSON.stringify({ msg: 'baseline started', port }) + '\n');
});
process.on('SIGTERM', () => server.forceShutdown());
