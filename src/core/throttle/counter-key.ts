import { createHash } from 'node:crypto';

/** Counter keys hold a hash, so that the counters collection never stores an email, a username or an address. */
export function counterKey(kind: 'login' | 'reset' | 'signup', realm: string, identity: string): string {
  return `${kind}:${createHash('sha256').update(`${realm}\u0000${identity}`).digest('hex')}`;
}
