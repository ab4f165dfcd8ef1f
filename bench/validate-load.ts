import { ValidateTokenRequest } from '../src/gen/auth/v1/auth.js';
import type { Context } from './context.js';
import { ghz } from './ghz.js';
import { h2load } from './h2load.js';
import type { Load } from './load.js';

/** Calls in flight on the one connection, for every ValidateToken run at full speed. */
export const VALIDATE_CONCURRENCY = 50;

export interface ValidateRun {
  /**
   * Full speed with every token in turn (ghz) rather than one token (h2load): a store that serves
   * concurrent lookups of one token with one query would otherwise look faster than it is.
   */
  distinctTokens?: boolean;
  seconds?: number;
  total?: number;
  rps?: number;
}

/** Which client drives ValidateToken, for the notes. */
export const validateClient = (ctx: Context, distinctTokens = false): string =>
  (distinctTokens
    ? 'ghz at full speed and at fixed rates'
    : ctx.h2load
      ? `full speed: h2load, ${VALIDATE_CONCURRENCY} streams on one connection, one token; fixed rates: ghz`
      : 'ghz (install h2load, package nghttp2-client, for a client light enough to saturate the server)') +
  `, ${VALIDATE_CONCURRENCY} calls on one connection, the tokens round-robin`;

/**
 * ValidateToken calls on `address`: at full speed with the lightest client at hand (see h2load.ts),
 * at a fixed rate with ghz, whose pacing is even where h2load's comes in bursts.
 */
export function validateLoad(ctx: Context, address: string, tokens: string[], run: ValidateRun): Promise<Load> {
  if (ctx.h2load && !run.rps && !run.distinctTokens) {
    const message = ValidateTokenRequest.encode({ accessToken: tokens[0] ?? '', requiredScopes: [], includeUser: false }).finish();
    return h2load(ctx.h2load, { address, path: '/auth.v1.AuthService/ValidateToken', message, concurrency: VALIDATE_CONCURRENCY, ...run });
  }
  const data = tokens.map((token) => ({ access_token: token }));
  return ghz(ctx.ghz, { address, method: 'ValidateToken', data, concurrency: VALIDATE_CONCURRENCY, seconds: run.seconds, total: run.total, rps: run.rps });
}
