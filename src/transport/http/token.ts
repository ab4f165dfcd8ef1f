import type { FastifyRequest } from 'fastify';
import { isWellFormedToken } from '../../core/sessions/token-format.js';
import type { Logger } from '../../logger.js';

/**
 * The access token of a request, found where LoopBack 3.28 finds it (`AccessToken.getIdForRequest`
 * with the `token()` middleware's defaults), in its order:
 *   1. `access_token` in the body, then in the query (LoopBack's params; its route parameter never
 *      holds one, see the README's LoopBack table);
 *   2. the `X-Access-Token` header, then `Authorization`, each raw, `Bearer <token>` (raw or base64,
 *      as LoopBack's `bearerTokenBase64Encoded` default sends it) or `Basic base64(a:b)` (the longer
 *      of a and b, as LoopBack reads `curl -u "$TOKEN:"`);
 *   3. on logout only, `sid` in the body (LoopBack 1 and 2's logout argument).
 * The first place holding a non-empty value wins, as in LoopBack; a request that carries different
 * tokens in several places is logged at debug, never refused for it. '' when there is none: the use
 * case decides what a missing token means.
 */
export type TokenReader = (request: FastifyRequest, options?: { sid?: boolean }) => string;

type Place = 'body access_token' | 'query access_token' | 'X-Access-Token' | 'Authorization' | 'body sid';

/** A string field of a parsed body or query, if it holds one (bodies and queries passed their schemas). */
function stringField(container: unknown, key: string): string | undefined {
  if (typeof container !== 'object' || container === null || !Object.hasOwn(container, key)) return undefined;
  const value = (container as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

const fromBase64 = (value: string): string => Buffer.from(value, 'base64').toString('utf8');

/** A raw token (64 base62 characters) is never the base64 of one (88 characters), so both are taken. */
function bearerToken(value: string): string {
  if (isWellFormedToken(value)) return value;
  const decoded = fromBase64(value);
  return isWellFormedToken(decoded) ? decoded : value;
}

/** `a:b` → the longer of a and b (a on a tie), as LoopBack; no colon → the whole value. */
function basicToken(value: string): string {
  const decoded = fromBase64(value);
  const colon = decoded.indexOf(':');
  if (colon < 0) return decoded;
  const name = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  return secret.length > name.length ? secret : name;
}

function headerToken(header: string | string[] | undefined): string | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  // LoopBack matches `Basic ` in any case and `Bearer ` exactly; here both in any case.
  const scheme = /^(Basic|Bearer)\s+/i.exec(value);
  if (!scheme?.[1]) return value;
  const credentials = value.slice(scheme[0].length).trim();
  return scheme[1].toLowerCase() === 'basic' ? basicToken(credentials) : bearerToken(credentials);
}

function candidates(request: FastifyRequest, sid: boolean): Array<[Place, string | undefined]> {
  return [
    ['body access_token', stringField(request.body, 'access_token')],
    ['query access_token', stringField(request.query, 'access_token')?.trim()],
    ['X-Access-Token', headerToken(request.headers['x-access-token'])],
    ['Authorization', headerToken(request.headers.authorization)],
    ['body sid', sid ? stringField(request.body, 'sid') : undefined],
  ];
}

export function createTokenReader(logger: Logger): TokenReader {
  return (request, options = {}) => {
    const found = candidates(request, options.sid ?? false).filter((entry): entry is [Place, string] => Boolean(entry[1]));
    const [first] = found;
    if (!first) return '';
    if (logger.isLevelEnabled('debug') && found.some(([, token]) => token !== first[1])) {
      // The places only: a token is never logged.
      logger.debug({ route: request.routeOptions.url, used: first[0], places: found.map(([place]) => place) }, 'request carries different tokens; the first in LoopBack order is used');
    }
    return first[1];
  };
}
