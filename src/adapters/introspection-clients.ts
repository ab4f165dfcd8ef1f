import { hash, timingSafeEqual } from 'node:crypto';
import type { CallOptions } from '../core/call.js';
import type { PasswordHasher } from '../core/ports.js';

/** bcrypt as htpasswd -B, PHP and OpenBSD write it; $2y$ and $2b$ are one algorithm under two names. */
const BCRYPT_HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
/** bcrypt reads no further: a longer secret would match any secret it begins with. */
const MAX_SECRET_BYTES = 72;

/**
 * Reads an introspection clients file: one `client_id:bcrypt hash` a line (an htpasswd file made with
 * `htpasswd -B` is one), blank lines and `#` comments ignored. Throws naming the line, never its content.
 */
export function parseClientSecrets(text: string): Map<string, string> {
  const clients = new Map<string, string>();
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const id = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (colon <= 0 || !BCRYPT_HASH.test(hash)) throw new Error(`line ${index + 1} is not client_id:bcrypt-hash`);
    if (clients.has(id)) throw new Error(`line ${index + 1} repeats a client id`);
    // node's bcrypt knows $2y$ by its other name only.
    clients.set(id, hash.replace(/^\$2y\$/, '$2b$'));
  }
  return clients;
}

const digest = (secret: string): Buffer => hash('sha256', secret, 'buffer');

/**
 * Checks introspection clients' secrets with bcrypt on the service's hashing pool (its queue sheds
 * floods). A resource server introspects on every request it serves, so a secret that once matched
 * is remembered (its SHA-256, per client, in memory) and later calls compare that alone.
 */
export function createClientAuthenticator(hashes: ReadonlyMap<string, string>, hasher: PasswordHasher) {
  const verified = new Map<string, Buffer>();
  return async (clientId: string, secret: string, call: CallOptions): Promise<boolean> => {
    const hash = hashes.get(clientId);
    if (hash === undefined || Buffer.byteLength(secret) > MAX_SECRET_BYTES) {
      // An unknown client costs what a known one does.
      return hasher.verifyNothing(secret.slice(0, MAX_SECRET_BYTES), call);
    }
    const known = verified.get(clientId);
    const presented = digest(secret);
    if (known && timingSafeEqual(known, presented)) return true;
    if (!(await hasher.verify(secret, hash, call))) return false;
    verified.set(clientId, presented);
    return true;
  };
}
