import type { FastifyReply } from 'fastify';
import { AuthError, ErrorCode, toAuthError, type ErrorKind } from '../../core/errors.js';
import { loopBackError, type LoopBackError } from '../loopback-error.js';
import { validationError } from './schemas.js';

/** REST status of each kind of AuthError (docs/contract.md's error table). */
const statusOf: Record<ErrorKind, number> = {
  'invalid-argument': 400,
  unauthenticated: 401,
  'not-found': 404,
  'already-exists': 422,
  'permission-denied': 403,
  'failed-precondition': 409,
  'resource-exhausted': 429,
  unavailable: 503,
  overloaded: 503,
  // nginx's code for a client that closed the request: never sent, it labels the request in logs and metrics.
  cancelled: 499,
  internal: 500,
};

/**
 * Codes whose status is not their kind's: LoopBack answers 422 (its model validation) for password
 * length, and an identity linked elsewhere conflicts with the account (409) rather than failing
 * validation as a taken email does (422).
 */
const STATUS_OF_CODE: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.PASSWORD_TOO_SHORT]: 422,
  [ErrorCode.PASSWORD_TOO_LONG]: 422,
  [ErrorCode.IDENTITY_CONFLICT]: 409,
};

/**
 * Codes of a call that wanted a token: their 401 carries the challenge of RFC 6750. LoopBack sends
 * none, but its own REST client (strong-remoting's `remotes.auth`, which by default sends the
 * credentials only once challenged) then sends its Bearer token.
 */
const TOKEN_REFUSED: ReadonlySet<ErrorCode> = new Set([ErrorCode.INVALID_TOKEN, ErrorCode.AUTHORIZATION_REQUIRED]);

/** What a failed request answers: LoopBack's `{"error":{statusCode,name,message,code}}` plus headers. */
export interface HttpFailure {
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
  /** The WWW-Authenticate challenge. */
  challenge?: string;
  /** LoopBack's `details`, only for the codes that carry some. */
  details?: Readonly<Record<string, string>>;
}

/**
 * A failure of the HTTP layer itself, before any use case runs (unknown route, unreadable body).
 * Its codes are not AuthError codes: no use case runs, so the contract lists them apart.
 */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export const notFound = (): RequestError => new RequestError(404, 'NOT_FOUND', 'no such route');

interface FrameworkError {
  statusCode?: unknown;
  validation?: unknown;
  validationContext?: unknown;
}

/** Fastify's own errors (schema, body parsing, limits), with fixed messages: theirs may quote the body. */
function frameworkFailure(err: unknown): HttpFailure | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { statusCode, validation, validationContext } = err as FrameworkError;
  if (Array.isArray(validation)) {
    return failureOf(validationError(validation, typeof validationContext === 'string' ? validationContext : undefined));
  }
  const status = typeof statusCode === 'number' ? statusCode : 0;
  if (status === 413) return failureOf(new RequestError(413, 'PAYLOAD_TOO_LARGE', 'request body is too large'));
  if (status === 415) {
    return failureOf(
      new RequestError(415, 'UNSUPPORTED_MEDIA_TYPE', 'body must be application/json or application/x-www-form-urlencoded'),
    );
  }
  if (status >= 400 && status < 500) return failureOf(new RequestError(400, 'INVALID_ARGUMENT', 'malformed request body'));
  return undefined;
}

/** The one mapping from anything thrown while serving a request to its REST answer. */
export function failureOf(err: unknown): HttpFailure {
  if (err instanceof RequestError) return { status: err.status, code: err.code, message: err.message };
  const framework = err instanceof AuthError ? undefined : frameworkFailure(err);
  if (framework) return framework;
  const error = toAuthError(err);
  const status = STATUS_OF_CODE[error.code] ?? statusOf[error.kind];
  const failure: HttpFailure = { status, code: error.code, message: error.message };
  if (error.retryAfterMs !== undefined) failure.retryAfterSeconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
  if (TOKEN_REFUSED.has(error.code)) failure.challenge = 'Bearer';
  if (error.details !== undefined) failure.details = error.details;
  return failure;
}

/** LoopBack's error body. */
export const failureBody = (failure: HttpFailure): LoopBackError => loopBackError(failure.status, failure.code, failure.message, failure.details);

export function sendFailure(reply: FastifyReply, failure: HttpFailure): FastifyReply {
  if (failure.retryAfterSeconds !== undefined) void reply.header('retry-after', String(failure.retryAfterSeconds));
  if (failure.challenge !== undefined) void reply.header('www-authenticate', failure.challenge);
  return reply.code(failure.status).type('application/json; charset=utf-8').send(failureBody(failure));
}
