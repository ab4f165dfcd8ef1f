import { parse as parseCookies } from 'cookie';

/** Every value a request carries for a header, by its name in lower case; duplicates stay apart. */
export type HeaderValues = (name: string) => readonly string[];

/** Where a gateway looks for the token besides `Authorization`; both are the operator's choice. */
export interface TokenSources {
  /** Another header carrying the token, raw or as `Bearer <token>` (such as x-access-token). */
  header: string | undefined;
  /** A cookie carrying the token as its value. */
  cookie: string | undefined;
}

/**
 * What a request presents: a token; nothing a bearer token could be (no header, or another scheme
 * such as Basic); or something no one token can be read from (RFC 6750 `invalid_request`).
 */
export type Credential = { kind: 'token'; token: string } | { kind: 'none' } | { kind: 'malformed'; reason: string };

const NONE: Credential = { kind: 'none' };
const malformed = (reason: string): Credential => ({ kind: 'malformed', reason });

/** `<scheme> <credentials>`; a value without a space is a raw token, as everywhere in this service. */
const SCHEME = /^(\S+)\s+(.*)$/s;

/**
 * The token of one header's values: Bearer or raw. More than one value, or a comma (Envoy joins
 * repeated headers with one; a token never holds one), is two credentials where one belongs.
 */
function fromHeader(values: readonly string[], name: string): Credential | undefined {
  if (values.length === 0) return undefined;
  const value = values.length === 1 ? (values[0] ?? '').trim() : '';
  if (values.length > 1 || value.includes(',')) return malformed(`more than one ${name} header`);
  if (value === '') return undefined;
  if (value.toLowerCase() === 'bearer') return malformed(`${name} has the Bearer scheme but no token`);
  const scheme = SCHEME.exec(value);
  if (!scheme) return { kind: 'token', token: value };
  if (scheme[1]?.toLowerCase() !== 'bearer') return NONE;
  return { kind: 'token', token: scheme[2]?.trim() ?? '' };
}

function fromCookie(values: readonly string[], name: string): Credential | undefined {
  if (values.length === 0) return undefined;
  // HTTP/2 may split cookies over several headers; together they are one list.
  const token = parseCookies(values.join('; '))[name]?.trim();
  return token ? { kind: 'token', token } : undefined;
}

/** Whether a request target (`/path?query`) carries a token: URLs end up in logs, so tokens never travel in one. */
function hasQueryToken(target: string): boolean {
  const query = target.indexOf('?');
  if (query < 0) return false;
  const params = target.slice(query + 1);
  // The name can only be there as itself or percent-encoded: most queries need no parsing.
  return (params.includes('access_token') || params.includes('%')) && new URLSearchParams(params).has('access_token');
}

/**
 * The bearer token of a request that reaches a gateway, from `Authorization` and the configured
 * header and cookie. `targets` are the request's URLs as the gateway knows them (Envoy's path,
 * forward auth's own URL and the original one its proxy forwards).
 */
export function credentialOf(headers: HeaderValues, sources: TokenSources, targets: readonly string[]): Credential {
  if (targets.some(hasQueryToken)) return malformed('access tokens are not accepted in the URL');
  const found = [fromHeader(headers('authorization'), 'Authorization')];
  if (sources.header !== undefined) found.push(fromHeader(headers(sources.header), sources.header));
  if (sources.cookie !== undefined) found.push(fromCookie(headers('cookie'), sources.cookie));
  let token: string | undefined;
  for (const credential of found) {
    if (credential?.kind === 'malformed') return credential;
    if (credential?.kind !== 'token') continue;
    if (token !== undefined && token !== credential.token) return malformed('more than one access token');
    token = credential.token;
  }
  return token === undefined ? NONE : { kind: 'token', token };
}
