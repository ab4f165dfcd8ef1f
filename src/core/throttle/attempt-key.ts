import { createHash } from 'node:crypto';

/** Attempt keys hold a hash, so that the attempts collection never stores an email, username, address or id. */
export function attemptKey(kind: 'login' | 'reset' | 'signup', ...parts: string[]): string {
  return `${kind}:${createHash('sha256').update(parts.join('\u0000')).digest('hex')}`;
}
