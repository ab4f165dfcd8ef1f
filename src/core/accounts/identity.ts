import { domainToASCII } from 'node:url';
import { AuthError, ErrorCode } from '../errors.js';

/**
 * The rules for the fields that name an account, shared by every use case. Each returns the
 * normalized value or throws with the field's code. One person gets one account: every field is
 * NFKC-normalized (so full-width, compatibility and NFD forms are the plain NFC text), case is
 * folded where the field ignores case, and characters that make two strings look alike while they
 * differ are refused rather than stripped.
 */

/**
 * Refused anywhere in an email: control characters (C0, DEL, C1 such as U+0085), format characters
 * (U+200B, U+00AD, bidi controls such as U+202E, U+FEFF), line and paragraph separators, other
 * default-ignorable code points (variation selectors, U+3164), private-use and unassigned code
 * points (whose normalization a later Unicode version may change).
 */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Co}\p{Cn}]/u;
/** One @, 1 to 64 characters before it, no white space. */
const EMAIL_PARTS = /^(?<local>[^\s@]{1,64})@(?<domain>[^\s@]+)$/u;
/**
 * ASCII the URL host parser behind domainToASCII would act on instead of refusing: it cuts the
 * host at `/ ? # \`, percent-decodes `%`, drops tabs. Anything but letters, digits, `.`, `-` and
 * `_` in ASCII is therefore refused before conversion; non-ASCII goes to IDNA.
 */
const DOMAIN_ASCII_OUTSIDE_LDH = /[^A-Za-z0-9._\-\P{ASCII}]/u;
/** A domain after IDNA: labels of 1-63 lower-case letters, digits, `-` or `_`, at least two, the last not empty. */
const ASCII_DOMAIN = /^(?:[a-z0-9_-]{1,63}\.)+[a-z0-9_-]{1,63}$/;
const MAX_EMAIL_LENGTH = 254;
const MAX_DOMAIN_LENGTH = 253;
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
/** Empty (the default realm) or a lower-case name that is safe in a URL, a log line and a file name. */
const REALM = /^(?:[a-z0-9][a-z0-9._-]{0,63})?$/;

const invalidEmail = (): AuthError => new AuthError(ErrorCode.INVALID_EMAIL, 'email is not a valid address');

/** NFKC with case folded; NFKC again because lower-casing can leave a sequence NFKC composes (`Άͅ` → `ᾴ`). */
const foldedNfkc = (value: string): string => value.normalize('NFKC').toLowerCase().normalize('NFKC');

/**
 * An email as the service stores and compares it: trimmed, NFKC, lower-cased, with the domain in
 * its IDNA ASCII form (`ann@ｅｘａｍｐｌｅ.com`, `ANN@example.com` and `ann@EXAMPLE.com` are one
 * address, as are `ann@münchen.de` and `ann@xn--mnchen-3ya.de`, stored as the latter).
 */
export function normalizeEmail(value: string): string {
  const trimmed = value.trim();
  if (!trimmed.isWellFormed()) throw invalidEmail();
  const text = foldedNfkc(trimmed);
  if (INVISIBLE_OR_CONTROL.test(text)) throw invalidEmail();
  const parts = EMAIL_PARTS.exec(text)?.groups;
  if (!parts?.local || !parts.domain || DOMAIN_ASCII_OUTSIDE_LDH.test(parts.domain)) throw invalidEmail();
  const domain = domainToASCII(parts.domain);
  if (domain.length > MAX_DOMAIN_LENGTH || !ASCII_DOMAIN.test(domain)) throw invalidEmail();
  const email = `${parts.local}@${domain}`;
  if (email.length > MAX_EMAIL_LENGTH) throw invalidEmail();
  return email;
}

/**
 * A username in the form it is stored and shown: NFKC (so `ａｎｎ` is `ann`), then 1 to 64 ASCII
 * letters, digits, `.`, `_` or `-`. Its case is kept; the user store compares usernames without
 * regard to case (usernameKey in storage/users/port.ts).
 */
export function normalizeUsername(value: string): string {
  const username = value.normalize('NFKC');
  if (!USERNAME.test(username)) {
    throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'username must be 1-64 letters, digits, dots, underscores or hyphens');
  }
  return username;
}

/** A realm as stored and compared: NFKC, lower-cased, then empty or 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit. */
export function normalizeRealm(value: string): string {
  const realm = foldedNfkc(value);
  if (!REALM.test(realm)) {
    throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'realm must be empty or 1-64 of a-z, 0-9, dot, underscore or hyphen, starting with a letter or digit');
  }
  return realm;
}
