/** TLS certificate and key, read once at start; with a client CA, callers must present a certificate it signed. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  clientCa: Buffer | undefined;
}

/** Where a transport listens. */
export interface Endpoint {
  host: string;
  port: number;
  /** undefined: plaintext. */
  tls: TlsMaterial | undefined;
}
