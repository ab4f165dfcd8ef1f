/** RFC 6750's b64token: the characters a bearer token may have. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** The service issues 64-character tokens; anything far longer is refused without asking it. */
export const MAX_TOKEN_LENGTH = 1024;
const BEARER = /^Bearer(?:\s+|$)/i;

export type ParsedToken = { kind: 'missing' } | { kind: 'malformed' } | { kind: 'token'; token: string };

/**
 * The token of an `authorization` header or metadata value, read as the service reads it:
 * `Bearer <token>` (any case) or the raw token. Another scheme (`Basic ...`) carries no token;
 * more than one value is ambiguous, so malformed.
 */
export function parseAuthorization(value: string | readonly string[] | undefined): ParsedToken {
  if (Array.isArray(value) && value.length > 1) return { kind: 'malformed' };
  const header = (typeof value === 'string' ? value : value?.[0])?.trim() ?? '';
  if (header === '') return { kind: 'missing' };
  let token = header;
  if (BEARER.test(header)) token = header.replace(BEARER, '');
  else if (/\s/.test(header)) return { kind: 'missing' };
  if (token === '') return { kind: 'missing' };
  if (token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) return { kind: 'malformed' };
  return { kind: 'token', token };
}
