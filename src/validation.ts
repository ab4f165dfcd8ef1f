import { AuthError, ErrorCode } from './errors.js';

/** Input rules of docs/contract.md, shared by every use case. Each returns the normalized value or throws. */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// Pragmatic: one @, a dot in the domain, no spaces or control characters. Deliverability is the notifier's problem.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@.]+$/u;
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_EMAIL_LENGTH = 254;
const MAX_REALM_LENGTH = 128;
const MIN_PASSWORD_CHARS = 8;
const MAX_PASSWORD_BYTES = 72;

export function normalizeEmail(value: string): string {
  const email = value.trim().toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH || CONTROL.test(email) || !email.isWellFormed() || !EMAIL.test(email)) {
    throw new AuthError(ErrorCode.INVALID_EMAIL, 'email is not a valid address');
  }
  return email;
}

export function checkUsername(value: string): string {
  if (!USERNAME.test(value)) {
    throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'username must be 1-64 letters, digits, dots, underscores or hyphens');
  }
  return value;
}

export function checkRealm(value: string): string {
  if (value.length > MAX_REALM_LENGTH || CONTROL.test(value) || !value.isWellFormed()) {
    throw new AuthError(ErrorCode.INVALID_ARGUMENT, `realm must be at most ${MAX_REALM_LENGTH} printable characters`);
  }
  return value;
}

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
