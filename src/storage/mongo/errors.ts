import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { StoreUnavailableError } from '../../core/errors.js';

/** Server errors that mean "not reachable right now" rather than "this request is wrong". */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/**
 * Socket errors of Node itself. The driver does not wrap them all: a write on a connection the
 * server has just closed can surface as a bare `Error` with code EPIPE (seen with driver 7.9).
 */
const NETWORK_ERRNOS = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export function isUnavailable(err: unknown): boolean {
  return (
    (err instanceof Error && 'code' in err && typeof err.code === 'string' && NETWORK_ERRNOS.has(err.code)) ||
    // MongoNetworkError covers timeouts and a cleared pool (their classes extend it).
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError ||
    (err instanceof Error && ['MongoPoolClosedError', 'MongoWaitQueueTimeoutError', 'MongoClientClosedError'].includes(err.name)) ||
    (err instanceof MongoServerError && typeof err.code === 'number' && UNAVAILABLE_CODES.has(err.code))
  );
}

/**
 * A unique index refused the write. MongoDB answers 11000, and so does FerretDB 1.x to inserts; to
 * updates FerretDB (SQLite) answers InternalError (1) naming the SQLite constraint instead.
 */
export const isDuplicateKey = (err: unknown): err is MongoServerError =>
  err instanceof MongoServerError && (err.code === 11000 || (err.code === 1 && err.message.includes('UNIQUE constraint failed')));

/** FerretDB 1.x answers 238 NotImplemented to TTL and partial indexes. */
export const isNotImplemented = (err: unknown): boolean =>
  err instanceof MongoServerError && (err.code === 238 || err.codeName === 'NotImplemented' || /not ?implemented/i.test(err.message));

/** Runs a database operation so that an unreachable database surfaces as StoreUnavailableError. */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw isUnavailable(err) ? new StoreUnavailableError(err) : err;
  }
}

/**
 * Filters only ever hold user values as equality values; this keeps a non-string that slipped
 * past the types (say `{ $ne: null }` from parsed JSON) from becoming a query operator.
 */
export function literal(value: string): string {
  if (typeof value !== 'string') throw new TypeError('store lookups take strings');
  return value;
}
