import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
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

/**
 * An AuthError as a gRPC error whose `grpc-status-details-bin` holds a google.rpc.Status with
 * ErrorInfo (AIP-193); the error's details become the ErrorInfo's metadata.
 */
export function toServiceError(error: AuthError): Partial<ServiceError> {
  const code = codeOf[error.kind];
  const info = ErrorInfo.encode({ reason: error.code, domain: ERROR_DOMAIN, metadata: { ...error.details } }).finish();
  const details = [pack('google.rpc.ErrorInfo', info)];
  if (error.retryAfterMs !== undefined) {
    const seconds = Math.ceil(error.retryAfterMs / 1000);
    details.push(pack('google.rpc.RetryInfo', RetryInfo.encode({ retryDelay: { seconds, nanos: 0 } }).finish()));
  }
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(Status.encode({ code, message: error.message, details }).finish()));
  return { code, details: error.message, metadata };
}
