import type { ExternalProfile } from '../../core/ports.js';

/** Display claims kept on an identity: strings the provider sends about the person, nothing else. */
const PROFILE_CLAIMS = ['name', 'given_name', 'family_name', 'preferred_username', 'picture', 'locale'] as const;
const MAX_CLAIM_LENGTH = 512;
/** OpenID Connect caps `sub` at 255 ASCII characters; control characters never name anyone. */
const SUBJECT = /^[^\p{Cc}]{1,255}$/u;

export type Claims = Readonly<Record<string, unknown>>;

/** Where a provider's userinfo (or ID token) keeps each claim the service uses. */
export interface ClaimMapping {
  subject: string;
  email?: string | undefined;
  emailVerified?: string | undefined;
  name?: string | undefined;
}

export const OIDC_CLAIMS: ClaimMapping = { subject: 'sub', email: 'email', emailVerified: 'email_verified', name: 'name' };

/** A claim the object itself holds: a mapped name such as `__proto__` reads nothing. */
const claim = (claims: Claims, name: string | undefined): unknown => (name !== undefined && Object.hasOwn(claims, name) ? claims[name] : undefined);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_CLAIM_LENGTH ? value : undefined;

/** A subject as a string: GitHub's is a number. Undefined when it is neither, or not a usable id. */
function subjectOf(value: unknown): string | undefined {
  const subject = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  return typeof subject === 'string' && SUBJECT.test(subject) ? subject : undefined;
}

/**
 * The profile of an account from a provider's claims, read where the mapping says. Undefined when
 * the claims carry no usable subject. `email_verified` counts only as the boolean true (or the
 * string "true" some providers send).
 */
export function profileFrom(claims: Claims, mapping: ClaimMapping): ExternalProfile | undefined {
  const subject = subjectOf(claim(claims, mapping.subject));
  if (subject === undefined) return undefined;
  const verified = claim(claims, mapping.emailVerified);
  const profile: Record<string, string> = {};
  for (const name of PROFILE_CLAIMS) {
    const value = text(claim(claims, name));
    if (value !== undefined) profile[name] = value;
  }
  const name = text(claim(claims, mapping.name));
  if (name !== undefined) profile.name = name;
  return {
    subject,
    email: text(claim(claims, mapping.email)),
    emailVerified: verified === true || verified === 'true',
    profile,
  };
}
