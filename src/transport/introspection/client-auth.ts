import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { CallOptions } from '../../core/call.js';
import { headerValues } from '../http/header-values.js';

/** Whether a client id and secret are those of an introspection client. */
export type ClientAuthenticator = (clientId: string, secret: string, call: CallOptions) => Promise<boolean>;

/** RFC 6749 §2.3.1 form-encodes id and secret before HTTP Basic joins them: '+' is a space. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

const BASIC = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i;

/** The client id and secret of one `Authorization: Basic` header; undefined for anything else. */
export function basicCredentials(request: FastifyRequest): { id: string; secret: string } | undefined {
  const values = headerValues(request.raw, 'authorization');
  const match = values.length === 1 ? BASIC.exec(values[0] ?? '') : null;
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const id = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  return id && secret ? { id, secret } : undefined;
}

/** With mTLS on, the TLS layer has already refused any caller without a certificate the client CA signed. */
export function hasVerifiedCertificate(request: FastifyRequest): boolean {
  return (request.raw.socket as Partial<TLSSocket>).authorized === true;
}
