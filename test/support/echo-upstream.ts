// An upstream for proxies under test: it answers every request with the headers it received.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EchoUpstream {
  port: number;
  /** How many requests reached it. */
  hits(): number;
  close(): Promise<void>;
}

/** Answers 200 with `{"method", "url", "headers"}` (headers as received, names in lower case, repeats as arrays). */
export async function startEchoUpstream(): Promise<EchoUpstream> {
  let hits = 0;
  const server = createServer((request, response) => {
    hits++;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headersDistinct }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
