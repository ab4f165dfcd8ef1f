import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuthEvents, LoginMethod, LoginOutcome, RehashOutcome, RevokeReason, SessionRevokeReason, TokenKind, VerificationEvent } from './core/events.js';

/**
 * Every metric of the service, on its own registry. Labels hold only names chosen by the code
 * (RPC, route pattern, status, outcome), never a value a caller sent. It counts the core's events.
 */
export class Metrics implements AuthEvents {
  readonly registry = new Registry();

  readonly grpcCalls = new Counter({
    name: 'auth_grpc_calls_total',
    help: 'gRPC calls by method and status code',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });

  readonly grpcDuration = new Histogram({
    name: 'auth_grpc_call_duration_seconds',
    help: 'gRPC call latency by method and status code',
    labelNames: ['method', 'code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'auth_http_requests_total',
    help: 'REST requests by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'auth_http_request_duration_seconds',
    help: 'REST request latency by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly httpConnectionsCut = new Counter({
    name: 'auth_http_connections_cut_total',
    help: 'REST connections closed by a limit before a request was answered, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly loginsTotal = new Counter({
    name: 'auth_logins_total',
    help: 'Login attempts by outcome, method (password, external, id-token) and provider (external logins only)',
    labelNames: ['outcome', 'method', 'provider'] as const,
    registers: [this.registry],
  });

  readonly tokensIssuedTotal = new Counter({
    name: 'auth_tokens_issued_total',
    help: 'Tokens issued by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly tokensRevokedTotal = new Counter({
    name: 'auth_tokens_revoked_total',
    help: 'Tokens revoked by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly sessionsRevokedTotal = new Counter({
    name: 'auth_sessions_revoked_total',
    help: 'Sessions ended otherwise than by a logout or a password change (their owner, the idle timeout, an administrator, their user deleted) by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly passwordRehashesTotal = new Counter({
    name: 'auth_password_rehashes_total',
    help: 'Password hashes made again at login because the stored one was weaker, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly emailVerificationsTotal = new Counter({
    name: 'auth_email_verifications_total',
    help: 'Email verification events: tokens sent, requests over the limit, emails confirmed, confirmations refused',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly tokenCacheLookups = new Counter({
    name: 'auth_token_cache_lookups_total',
    help: 'Token lookups answered by the token cache (hit) or passed to the database (miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  loginAttempted(outcome: LoginOutcome, method: LoginMethod, provider?: string): void {
    this.loginsTotal.inc(provider === undefined ? { outcome, method } : { outcome, method, provider });
  }

  tokenIssued(kind: TokenKind): void {
    this.tokensIssuedTotal.inc({ kind });
  }

  tokensRevoked(reason: RevokeReason, count: number): void {
    this.tokensRevokedTotal.inc({ reason }, count);
  }

  sessionsRevoked(reason: SessionRevokeReason, count: number): void {
    this.sessionsRevokedTotal.inc({ reason }, count);
  }

  passwordRehashed(outcome: RehashOutcome): void {
    this.passwordRehashesTotal.inc({ outcome });
  }

  emailVerification(event: VerificationEvent): void {
    this.emailVerificationsTotal.inc({ event });
  }
}
