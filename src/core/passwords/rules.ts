import { AuthError, ErrorCode } from '../errors.js';

const MIN_PASSWORD_CHARS = 8;
/** bcrypt reads only this many bytes of a password. */
const MAX_PASSWORD_BYTES = 72;

/** A new password: 8 characters to 72 UTF-8 bytes, refused rather than truncated by bcrypt. */
export function checkNewPassword(value: string): string {
  if (value === '') throw new AuthError(ErrorCode.PASSWORD_REQUIRED, 'password is required');
  if ([...value].length < MIN_PASSWORD_CHARS) {
    throw new AuthError(ErrorCode.PASSWORD_TOO_SHORT, `password must be at least ${MIN_PASSWORD_CHARS} characters`);
  }
  if (Buffer.byteLength(value, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new AuthError(ErrorCode.PASSWORD_TOO_LONG, `password must be at most ${MAX_PASSWORD_BYTES} bytes`);
  }
  // bcrypt cycles its key with a NUL after it (P and P\0P hash alike) and hashes lone surrogates as U+FFFD.
  if (value.includes('\u0000') || !value.isWellFormed()) {
    throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'password must not contain NUL or ill-formed text');
  }
  return value;
}

/** bcrypt reads only the first 72 bytes: a longer offered password must never be compared, it cannot be ours. */
export function fitsBcrypt(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES && !password.includes('\u0000') && password.isWellFormed();
}
