import type { FastifyRequest } from 'fastify';
import type { TokenQuery } from './schemas.js';

const BEARER = /^Bearer\s+/i;

/**
 * The access token of a request, where LoopBack looks for it: the `access_token` query parameter,
 * then the `X-Access-Token` header, then `Authorization` (raw or `Bearer <token>`). '' when absent;
 * the use case decides what a missing token means.
 */
export function requestToken(request: FastifyRequest<{ Querystring: TokenQuery }>): string {
  const fromQuery = request.query.access_token;
  if (fromQuery) return fromQuery.trim();
  const header = request.headers['x-access-token'] ?? request.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  return value ? value.replace(BEARER, '').trim() : '';
}
