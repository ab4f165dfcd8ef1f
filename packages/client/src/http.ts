import type { Verdict } from './client.js';
import { refusalOf } from './refusal.js';

export interface HttpRefusal {
  status: number;
  headers: Record<string, string>;
  /** The service's REST error shape: `{"error":{statusCode,name,message,code}}`. */
  body: string;
}

const statusOf = { unauthenticated: 401, forbidden: 403, unavailable: 503 } as const;

/** RFC 6750 §3: a bare challenge when no token came, the error (and the scope wanted) otherwise. */
function challenge(error: string | undefined, requiredScopes: readonly string[]): string {
  if (!error) return 'Bearer';
  const scope = error === 'insufficient_scope' ? `, scope="${requiredScopes.join(' ')}"` : '';
  return `Bearer error="${error}"${scope}`;
}

/** What an HTTP service answers a refused request. */
export function httpRefusal(verdict: Exclude<Verdict, { ok: true }>, requiredScopes: readonly string[]): HttpRefusal {
  const refusal = refusalOf(verdict);
  const status = statusOf[refusal.kind];
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (refusal.kind !== 'unavailable') headers['www-authenticate'] = challenge(refusal.bearerError, requiredScopes);
  const body = JSON.stringify({ error: { statusCode: status, name: 'Error', message: refusal.message, code: refusal.code } });
  return { status, headers, body };
}
