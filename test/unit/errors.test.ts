import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError, ErrorCode, toAuthError } from '../../src/core/errors.js';

const frames = (err: Error): number => (err.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).length;

describe('AuthError stacks', () => {
  it('captures none for an expected outcome, as it costs more than the rest of a refusal', () => {
    assert.equal(frames(new AuthError(ErrorCode.SERVICE_OVERLOADED, 'too many password checks in progress, try again later')), 0);
    assert.equal(frames(new AuthError(ErrorCode.LOGIN_FAILED, 'login failed')), 0);
  });

  it('keeps the stack of INTERNAL for the log, and leaves the process’s stack limit as it was', () => {
    const limit = Error.stackTraceLimit;
    assert.ok(frames(toAuthError(new Error('driver said no'))) > 0);
    new AuthError(ErrorCode.INVALID_TOKEN, 'invalid token');
    assert.equal(Error.stackTraceLimit, limit);
    assert.ok(frames(new Error('any other error')) > 0);
  });
});
