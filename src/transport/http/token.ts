import type { FastifyRequest } from 'fastify';
import { tokenFromAuthorization } from '../authorization.js';
import type { TokenQuery } from './schemas.js';

/**
 * The access token of a request, where LoopBack looks for it: the `access_token` query parameter,
 * then the `X-Access-Token` header, then `Authorization` (raw or `Bearer <token>`). '' when absent;
 * the use case decides what a missing token means.
 */
export function requestToken(request: FastifyRequest<{ Querystring: TokenQuery }>): string {
  const fromQuery = request.query.access_token;
  if (fromQuery) return fromQuery.trim();
  // || rather than ??: an empty X-Access-Token must not hide Authorization.
  const header = request.headers['x-access-token'] || request.headers.authorization;
  return tokenFromAuthorization(Array.isArray(header) ? header[0] : header);
}
