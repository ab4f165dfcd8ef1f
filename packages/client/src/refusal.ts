import type { Verdict } from './client.js';

type Refused = Exclude<Verdict, { ok: true }>;

/** Why a request is refused, in the service's own vocabulary (its ErrorInfo reasons and REST codes). */
export interface Refusal {
  kind: 'unauthenticated' | 'forbidden' | 'unavailable';
  /** Reason code, as the service's errors carry it. */
  code: 'INVALID_TOKEN' | 'INSUFFICIENT_SCOPE' | 'SERVICE_UNAVAILABLE';
  message: string;
  /** RFC 6750 error code, where one applies. */
  bearerError?: 'invalid_token' | 'insufficient_scope';
}

/** The one mapping from a refused verdict to what every transport answers. */
export function refusalOf(verdict: Refused): Refusal {
  switch (verdict.reason) {
    case 'missing-token':
      return { kind: 'unauthenticated', code: 'INVALID_TOKEN', message: 'an access token is required' };
    case 'invalid-token':
      return { kind: 'unauthenticated', code: 'INVALID_TOKEN', message: 'the access token is not valid', bearerError: 'invalid_token' };
    case 'insufficient-scope':
      return { kind: 'forbidden', code: 'INSUFFICIENT_SCOPE', message: `the access token lacks scope ${verdict.missingScopes.join(' ')}`, bearerError: 'insufficient_scope' };
    case 'unavailable':
      return { kind: 'unavailable', code: 'SERVICE_UNAVAILABLE', message: 'the auth service cannot be reached' };
  }
}
