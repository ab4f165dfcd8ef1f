import { hash } from 'node:crypto';

/**
 * Attempt keys hold a hash, so that the attempts collection never stores an email, username,
 * address, id or password hash. `rehash` keys are claims rather than throttles (see passwords/rehash.ts).
 */
export function attemptKey(kind: 'login' | 'reset' | 'verify' | 'signup' | 'rehash', ...parts: string[]): string {
  return `${kind}:${hash('sha256', parts.join('\u0000'))}`;
}
