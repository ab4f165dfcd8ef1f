// HTTP/1.1 by hand over a socket: for requests that fetch and node:http refuse to send (a header
// twice, headers of any size), and to see the answer exactly as it came.
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  /** Header names in lower case; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: string;
}

/** A chunked body's content. */
function unchunk(body: string): string {
  let content = '';
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    const size = parseInt(body.slice(at, lineEnd), 16);
    if (!(size > 0)) return content;
    content += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** Sends one request with `Connection: close` and reads the answer to the end. */
export function rawRequest(port: number, target: string, headers: Array<[string, string]> = [], method = 'GET', body = ''): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    let failure: Error | undefined;
    // A server refusing a request mid-way (Node's 431 for headers over its limit) may reset the
    // connection after its answer: the answer still counts.
    socket.on('error', (err) => (failure = err));
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      if (chunks.length === 0) {
        reject(failure ?? new Error('connection closed without an answer'));
        return;
      }
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const answer: RawAnswer = { status: Number(statusLine.split(' ')[1]), headers: {}, body: text.slice(split + 4) };
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        answer.headers[name] = answer.headers[name] === undefined ? value : `${answer.headers[name]}, ${value}`;
      }
      if (answer.headers['transfer-encoding'] === 'chunked') answer.body = unchunk(answer.body);
      resolve(answer);
    });
    const head = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers.map(([name, value]) => `${name}: ${value}`)];
    if (body !== '') head.push(`Content-Length: ${Buffer.byteLength(body)}`);
    // Written, not ended: NGINX takes a half-closed connection for a client that left (499).
    socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
  });
}
