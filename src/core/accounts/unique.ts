import { DuplicateKeyError } from '../../storage/users/port.js';
import { AuthError, ErrorCode } from '../errors.js';

/** A store's DuplicateKeyError as the contract's EMAIL_EXISTS or USERNAME_EXISTS; anything else as it is. */
export function asTakenFieldError(err: unknown): unknown {
  if (!(err instanceof DuplicateKeyError)) return err;
  return err.field === 'email'
    ? new AuthError(ErrorCode.EMAIL_EXISTS, 'email already exists')
    : new AuthError(ErrorCode.USERNAME_EXISTS, 'username already exists');
}
