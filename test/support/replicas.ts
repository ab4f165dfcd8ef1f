import { connect, type Client } from './grpc-client.js';
import { startServer, type ServerProcess } from './server-process.js';

export interface Replicas {
  a: Client;
  b: Client;
  servers: [ServerProcess, ServerProcess];
  /** Closes both clients and stops both processes. */
  stop(): Promise<void>;
}

/** Two service processes with one configuration (say, one database), each with a gRPC client. */
export async function startReplicas(env: Record<string, string>): Promise<Replicas> {
  const servers: [ServerProcess, ServerProcess] = await Promise.all([startServer(env), startServer(env)]);
  const [a, b] = servers.map((server) => connect(server.grpcAddress)) as [Client, Client];
  return {
    a,
    b,
    servers,
    async stop() {
      a.close();
      b.close();
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}
