import autocannon from 'autocannon';
import { expectNoErrors, type Load } from './load.js';

export interface HttpRun {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /**
   * Requests sent in turn on each connection instead of one (their headers and body replace the
   * run's), each connection starting at another: concurrent requests then carry different tokens.
   */
  requests?: { headers?: Record<string, string>; body?: string }[];
  connections: number;
  seconds: number;
}

/** One autocannon run (in this process: it is idle otherwise) over keep-alive connections, unpipelined. */
export async function httpLoad(run: HttpRun): Promise<Load> {
  const { requests } = run;
  let clients = 0;
  const result = await autocannon({
    url: run.url,
    method: run.method,
    headers: run.headers,
    body: run.body,
    connections: run.connections,
    duration: run.seconds,
    ...(requests && {
      setupClient: (client) => {
        const start = clients++ % requests.length;
        // Copies: autocannon keeps each client's built request in the object.
        client.setRequests([...requests.slice(start), ...requests.slice(0, start)].map((request) => ({ ...request })));
      },
    }),
  });
  const failed = result.errors + result.timeouts + result.non2xx;
  const load = {
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok: result['2xx'],
    errors: failed,
  };
  return expectNoErrors(`${run.method} ${run.url}`, load);
}
