import { connect, type Client } from '../../support/grpc-client.js';
import { startServer, type ServerProcess } from '../../support/server-process.js';

const PASSWORD = 'correct horse battery';
let users = 0;

export interface AuthService {
  server: ServerProcess;
  grpc: Client;
  /** A new user's access token (ttlSeconds 0: the default lifetime). */
  login(ttlSeconds?: number): Promise<{ token: string; userId: string; expiresAt: Date | undefined }>;
  logout(token: string): Promise<void>;
  /** How many calls of one RPC the service has answered, by code, from its /metrics. */
  calls(rpc: string, code?: string): Promise<number>;
  stop(): Promise<void>;
}

/** A real auth-service process (embedded store unless env says otherwise) and a gRPC client to it. */
export async function startAuthService(env: Record<string, string> = {}): Promise<AuthService> {
  const server = await startServer(env);
  const grpc = connect(server.grpcAddress);
  return {
    server,
    grpc,
    async login(ttlSeconds = 0) {
      const email = `client-${process.pid}-${++users}@example.com`;
      await grpc.createUser({ email, username: '', password: PASSWORD, realm: '' });
      const { accessToken } = await grpc.login({ email, username: '', password: PASSWORD, realm: '', ttlSeconds, includeUser: false });
      if (!accessToken) throw new Error('login gave no token');
      return { token: accessToken.id, userId: accessToken.userId, expiresAt: accessToken.expiresAt };
    },
    async logout(token) {
      await grpc.logout({ accessToken: token, allSessions: false });
    },
    async calls(rpc, code = 'OK') {
      const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
      const line = text.split('\n').find((row) => row.startsWith(`auth_grpc_calls_total{method="${rpc}",code="${code}"}`));
      return line ? Number(line.split(' ').pop()) : 0;
    },
    async stop() {
      grpc.close();
      await server.stop();
    },
  };
}
