import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceError } from '@grpc/grpc-js';
import { AuthError, ErrorCode } from '../../src/core/errors.js';
import { ErrorInfo } from '../../src/gen/google/rpc/error_details.js';
import { Status } from '../../src/gen/google/rpc/status.js';
import { toServiceError } from '../../src/transport/grpc/status.js';
import { errorDetails } from '../support/grpc-client.js';

const overloaded = (retryAfterMs: number) =>
  toServiceError(new AuthError(ErrorCode.SERVICE_OVERLOADED, 'too many password checks in progress, try again later', { retryAfterMs })) as ServiceError;

/** The ErrorInfo metadata a gRPC error carries. */
function errorInfoMetadata(err: ServiceError): Record<string, string> {
  const raw = err.metadata.get('grpc-status-details-bin')[0];
  assert.ok(Buffer.isBuffer(raw));
  const info = Status.decode(raw).details.find((any) => any.typeUrl.endsWith('google.rpc.ErrorInfo'));
  assert.ok(info);
  return ErrorInfo.decode(info.value).metadata;
}

describe('gRPC error statuses (repeated ones encoded once)', () => {
  it('gives each retry delay its own RetryInfo, however often each repeats', () => {
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(errorDetails(overloaded(800)), { reason: 'SERVICE_OVERLOADED', domain: 'auth.v1', metadata: {}, retryDelaySeconds: 1 });
      assert.deepEqual(errorDetails(overloaded(4200)), { reason: 'SERVICE_OVERLOADED', domain: 'auth.v1', metadata: {}, retryDelaySeconds: 5 });
    }
  });

  it('keeps an error’s details its own, before and after the same code without them', () => {
    const failed = () => toServiceError(new AuthError(ErrorCode.LOGIN_FAILED_EMAIL_NOT_VERIFIED, 'login failed as the email has not been verified')) as ServiceError;
    const withUser = (userId: string) =>
      toServiceError(new AuthError(ErrorCode.LOGIN_FAILED_EMAIL_NOT_VERIFIED, 'login failed as the email has not been verified', { details: { userId } })) as ServiceError;
    assert.deepEqual(errorInfoMetadata(failed()), {});
    assert.deepEqual(errorInfoMetadata(withUser('a')), { userId: 'a' });
    assert.deepEqual(errorInfoMetadata(withUser('b')), { userId: 'b' });
    assert.deepEqual(errorInfoMetadata(failed()), {});
  });

  it('carries the message and code of each error', () => {
    const invalid = toServiceError(new AuthError(ErrorCode.INVALID_TOKEN, 'invalid token')) as ServiceError;
    const raw = invalid.metadata.get('grpc-status-details-bin')[0];
    assert.ok(Buffer.isBuffer(raw));
    assert.deepEqual({ code: Status.decode(raw).code, message: Status.decode(raw).message }, { code: invalid.code, message: 'invalid token' });
  });
});
