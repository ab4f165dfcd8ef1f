import type { IncomingMessage } from 'node:http';

/**
 * Every value a request sent for a header (`name` lower-case), in order, each as sent: what
 * `headersDistinct` gives, read from the raw headers instead of building that getter's object of
 * arrays for every header of every request.
 */
export function headerValues(request: IncomingMessage, name: string): string[] {
  const raw = request.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i] ?? '';
    if (key.length === name.length && key.toLowerCase() === name) values.push(raw[i + 1] ?? '');
  }
  return values;
}
