import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificates {
  /** Path of a PEM file: ca.crt, server.crt, server.key, client.crt, client.key. */
  file(name: string): string;
  pem(name: string): Buffer;
  remove(): void;
}

/** A throwaway CA (openssl) signing one server certificate for 127.0.0.1 and one client certificate. */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'client-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '1', '-subj', '/CN=test-ca');
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file(`${name}.crt`), '-days', '1', '-extfile', file('san.ext'));
  }
  return { file, pem: (name) => readFileSync(file(name)), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
