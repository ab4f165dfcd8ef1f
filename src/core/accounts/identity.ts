import { AuthError, ErrorCode } from '../errors.js';

/** The rules for the fields that name an account, shared by every use case. Each returns the normalized value or throws. */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// Pragmatic: one @, a dot in the domain, no spaces or control characters. Deliverability is the notifier's problem.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@.]+$/u;
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_EMAIL_LENGTH = 254;
const MAX_REALM_LENGTH = 128;

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
