import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { LRUCache } from 'lru-cache';
import type { AuthError, ErrorKind } from '../../core/errors.js';
import { Any } from '../../gen/google/protobuf/any.js';
import { ErrorInfo, RetryInfo } from '../../gen/google/rpc/error_details.js';
import { Status } from '../../gen/google/rpc/status.js';

const ERROR_DOMAIN = 'auth.v1';

const codeOf: Record<ErrorKind, status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  'not-found': status.NOT_FOUND,
  'already-exists': status.ALREADY_EXISTS,
  'permission-denied': status.PERMISSION_DENIED,
  'failed-precondition': status.FAILED_PRECONDITION,
  'resource-exhausted': status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
  overloaded: status.RESOURCE_EXHAUSTED,
  cancelled: status.CANCELLED,
  internal: status.INTERNAL,
};

function pack(typeName: string, value: Uint8Array): Any {
  return { typeUrl: `type.googleapis.com/${typeName}`, value: Buffer.from(value) };
}

/** A google.rpc.Status with ErrorInfo (AIP-193), and RetryInfo when the error says when to retry. */
function encodeStatus(code: status, error: AuthError, retrySeconds: number | undefined): Buffer {
  const info = ErrorInfo.encode({ reason: error.code, domain: ERROR_DOMAIN, metadata: { ...error.details } }).finish();
  const details = [pack('google.rpc.ErrorInfo', info)];
  if (retrySeconds !== undefined) {
    details.push(pack('google.rpc.RetryInfo', RetryInfo.encode({ retryDelay: { seconds: retrySeconds, nanos: 0 } }).finish()));
  }
  return Buffer.from(Status.encode({ code, message: error.message, details }).finish());
}

/**
 * Statuses of errors without details, by what they hold: they repeat (a storm's refusals, wrong
 * passwords, unknown tokens), and encoding was most of what refusing a call cost beyond grpc-js.
 * Keys are few (messages are the service's own, retry delays whole seconds); the bound holds the rest.
 */
const repeatedStatuses = new LRUCache<string, Buffer>({ max: 1024 });

/**
 * An AuthError as a gRPC error whose `grpc-status-details-bin` holds a google.rpc.Status with
 * ErrorInfo (AIP-193); the error's details become the ErrorInfo's metadata.
 */
export function toServiceError(error: AuthError): Partial<ServiceError> {
  const code = codeOf[error.kind];
  const retrySeconds = error.retryAfterMs === undefined ? undefined : Math.ceil(error.retryAfterMs / 1000);
  let encoded: Buffer | undefined;
  if (error.details === undefined) {
    const key = `${error.code} ${String(retrySeconds)} ${error.message}`;
    encoded = repeatedStatuses.get(key);
    if (!encoded) repeatedStatuses.set(key, (encoded = encodeStatus(code, error, retrySeconds)));
  }
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', encoded ?? encodeStatus(code, error, retrySeconds));
  return { code, details: error.message, metadata };
}
