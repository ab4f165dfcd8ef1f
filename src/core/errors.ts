/** Reason codes of the error table in docs/contract.md; each transport maps them once. */
export const ErrorCode = {
  USERNAME_EMAIL_REQUIRED: 'USERNAME_EMAIL_REQUIRED',
  INVALID_EMAIL: 'INVALID_EMAIL',
  PASSWORD_REQUIRED: 'PASSWORD_REQUIRED',
  LOGIN_FAILED: 'LOGIN_FAILED',
  LOGIN_FAILED_EMAIL_NOT_VERIFIED: 'LOGIN_FAILED_EMAIL_NOT_VERIFIED',
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  INVALID_TOKEN: 'INVALID_TOKEN',
  AUTHORIZATION_REQUIRED: 'AUTHORIZATION_REQUIRED',
  INSUFFICIENT_SCOPE: 'INSUFFICIENT_SCOPE',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  USER_NOT_FOUND: 'USER_NOT_FOUND',
  EMAIL_EXISTS: 'EMAIL_EXISTS',
  USERNAME_EXISTS: 'USERNAME_EXISTS',
  SIGNUP_CLOSED: 'SIGNUP_CLOSED',
  PASSWORD_TOO_SHORT: 'PASSWORD_TOO_SHORT',
  PASSWORD_TOO_LONG: 'PASSWORD_TOO_LONG',
  INVALID_PASSWORD: 'INVALID_PASSWORD',
  INVALID_TTL: 'INVALID_TTL',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  UNKNOWN_PROVIDER: 'UNKNOWN_PROVIDER',
  INVALID_REDIRECT: 'INVALID_REDIRECT',
  INVALID_STATE: 'INVALID_STATE',
  EXTERNAL_LOGIN_FAILED: 'EXTERNAL_LOGIN_FAILED',
  INVALID_ID_TOKEN: 'INVALID_ID_TOKEN',
  EXTERNAL_EMAIL_REQUIRED: 'EXTERNAL_EMAIL_REQUIRED',
  IDENTITY_CONFLICT: 'IDENTITY_CONFLICT',
  IDENTITY_NOT_FOUND: 'IDENTITY_NOT_FOUND',
  LAST_LOGIN_METHOD: 'LAST_LOGIN_METHOD',
  PROVIDER_UNAVAILABLE: 'PROVIDER_UNAVAILABLE',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  SERVICE_OVERLOADED: 'SERVICE_OVERLOADED',
  CANCELLED: 'CANCELLED',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What kind of failure a code is; transports turn a kind into a status. */
export type ErrorKind =
  | 'invalid-argument'
  | 'unauthenticated'
  | 'not-found'
  | 'already-exists'
  | 'permission-denied'
  | 'not-found'
  | 'failed-precondition'
  | 'resource-exhausted'
  | 'unavailable'
  | 'overloaded'
  | 'cancelled'
  | 'internal';

const kindOf: Record<ErrorCode, ErrorKind> = {
  USERNAME_EMAIL_REQUIRED: 'invalid-argument',
  INVALID_EMAIL: 'invalid-argument',
  PASSWORD_REQUIRED: 'invalid-argument',
  LOGIN_FAILED: 'unauthenticated',
  LOGIN_FAILED_EMAIL_NOT_VERIFIED: 'unauthenticated',
  TOO_MANY_ATTEMPTS: 'resource-exhausted',
  INVALID_TOKEN: 'unauthenticated',
  AUTHORIZATION_REQUIRED: 'unauthenticated',
  INSUFFICIENT_SCOPE: 'permission-denied',
  SESSION_NOT_FOUND: 'not-found',
  USER_NOT_FOUND: 'not-found',
  EMAIL_EXISTS: 'already-exists',
  USERNAME_EXISTS: 'already-exists',
  SIGNUP_CLOSED: 'permission-denied',
  PASSWORD_TOO_SHORT: 'invalid-argument',
  PASSWORD_TOO_LONG: 'invalid-argument',
  INVALID_PASSWORD: 'invalid-argument',
  INVALID_TTL: 'invalid-argument',
  INVALID_ARGUMENT: 'invalid-argument',
  UNKNOWN_PROVIDER: 'not-found',
  INVALID_REDIRECT: 'invalid-argument',
  INVALID_STATE: 'invalid-argument',
  EXTERNAL_LOGIN_FAILED: 'unauthenticated',
  INVALID_ID_TOKEN: 'unauthenticated',
  EXTERNAL_EMAIL_REQUIRED: 'failed-precondition',
  IDENTITY_CONFLICT: 'already-exists',
  IDENTITY_NOT_FOUND: 'not-found',
  LAST_LOGIN_METHOD: 'failed-precondition',
  PROVIDER_UNAVAILABLE: 'unavailable',
  SERVICE_UNAVAILABLE: 'unavailable',
  SERVICE_OVERLOADED: 'overloaded',
  CANCELLED: 'cancelled',
  INTERNAL: 'internal',
};

/**
 * The one error type of the service. Its message is safe to show a caller: it never
 * holds a secret, a hash, a stack or a driver message.
 */
export class AuthError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  /** For TOO_MANY_ATTEMPTS (a login lock or the sign-up limit) and SERVICE_OVERLOADED: how long the caller should wait. */
  readonly retryAfterMs: number | undefined;
  /** Facts the caller may act on, safe to show (LOGIN_FAILED_EMAIL_NOT_VERIFIED: the userId, as LoopBack gives it). */
  readonly details: Readonly<Record<string, string>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryAfterMs?: number; details?: Readonly<Record<string, string>>; cause?: unknown } = {},
  ) {
    // An expected outcome (a wrong password, a shed call) needs no stack, and capturing one costs
    // more than the rest of a refused call's error path; INTERNAL keeps its stack for the log.
    const stackTraceLimit = Error.stackTraceLimit;
    if (code !== ErrorCode.INTERNAL) Error.stackTraceLimit = 0;
    try {
      super(message, options.cause === undefined ? undefined : { cause: options.cause });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.name = 'AuthError';
    this.code = code;
    this.kind = kindOf[code];
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

/** Raised by stores when the database cannot be reached; the service maps it to SERVICE_UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('database unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** Any thrown value as an AuthError: unknown failures become INTERNAL with a fixed message. */
export function toAuthError(err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  if (err instanceof StoreUnavailableError) {
    return new AuthError(ErrorCode.SERVICE_UNAVAILABLE, 'service unavailable', { cause: err });
  }
  return new AuthError(ErrorCode.INTERNAL, 'internal error', { cause: err });
}
