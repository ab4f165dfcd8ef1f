import { status, type ServiceError } from '@grpc/grpc-js';
import { ErrorInfo, RetryInfo } from './gen/google/rpc/error_details.js';
import { Status } from './gen/google/rpc/status.js';

/**
 * A failed call to the service: the gRPC code and, from the google.rpc.Status details the
 * service sends (AIP-193), the ErrorInfo reason (`LOGIN_FAILED`, `INVALID_TOKEN`...) and any RetryInfo delay.
 */
export class AuthCallError extends Error {
  readonly code: status;
  readonly reason: string | undefined;
  readonly domain: string | undefined;
  readonly retryDelayMs: number | undefined;

  constructor(err: ServiceError) {
    super(err.details || status[err.code] || 'call failed', { cause: err });
    this.name = 'AuthCallError';
    this.code = err.code;
    const details = statusDetails(err);
    this.reason = details.info?.reason;
    this.domain = details.info?.domain;
    this.retryDelayMs = details.retry?.retryDelay && details.retry.retryDelay.seconds * 1000 + details.retry.retryDelay.nanos / 1e6;
  }
}

function statusDetails(err: ServiceError): { info?: ErrorInfo; retry?: RetryInfo } {
  const raw = err.metadata?.get('grpc-status-details-bin')[0];
  if (!(raw instanceof Buffer)) return {};
  const found: { info?: ErrorInfo; retry?: RetryInfo } = {};
  try {
    for (const any of Status.decode(raw).details) {
      if (any.typeUrl === 'type.googleapis.com/google.rpc.ErrorInfo') found.info = ErrorInfo.decode(any.value);
      if (any.typeUrl === 'type.googleapis.com/google.rpc.RetryInfo') found.retry = RetryInfo.decode(any.value);
    }
  } catch {
    // Undecodable details leave the code and message, which are enough.
  }
  return found;
}
