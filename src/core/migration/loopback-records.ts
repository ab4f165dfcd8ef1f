import type { UserRecord } from '../../storage/users/port.js';
import { normalizeEmail, normalizeRealm, normalizeUsername } from '../accounts/identity.js';
import { AuthError } from '../errors.js';
import type { SourceDocument } from '../ports.js';
import { ETERNAL_TTL } from '../sessions/ttl.js';

/** Why a LoopBack document cannot be imported as it is. The run reports it with the document's _id and goes on. */
export class MalformedDocument extends Error {
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'MalformedDocument';
  }
}

/** bcrypt as LoopBack apps hold it: bcryptjs writes $2a$, native bcrypt $2b$, PHP $2y$ (all verified here). */
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

/** LoopBack's scope for a token that names none: the same as no scope here. */
const LOOPBACK_DEFAULT_SCOPE = 'DEFAULT';

/** An access token as LoopBack stored it, read and checked. */
export interface LoopBackAccessToken {
  /** The token in clear, as clients send it; only its hash is ever written here. */
  token: string;
  userId: string;
  /** The user model the token belongs to, when the app has several. */
  principalType: string | undefined;
  ttlSeconds: number;
  created: Date;
  /** undefined for LoopBack's ttl -1 (never expires). */
  expiresAt: Date | undefined;
  scopes: string[];
}

const absent = (value: unknown): value is null | undefined => value === undefined || value === null;

function optionalString(doc: SourceDocument, field: string): string | undefined {
  const value = doc.fields[field];
  if (absent(value)) return undefined;
  if (typeof value !== 'string') throw new MalformedDocument(field, `not a string (${typeof value})`);
  return value;
}

function requiredString(doc: SourceDocument, field: string): string {
  const value = optionalString(doc, field);
  if (value === undefined) throw new MalformedDocument(field, 'missing');
  return value;
}

function optionalDate(doc: SourceDocument, field: string): Date | undefined {
  const value = doc.fields[field];
  if (absent(value)) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new MalformedDocument(field, 'not a date');
  return value;
}

/** Runs one of the core's identity rules, reporting its refusal against the field. */
function checked<T>(field: string, rule: () => T): T {
  try {
    return rule();
  } catch (err) {
    if (err instanceof AuthError) throw new MalformedDocument(field, err.message);
    throw err;
  }
}

/**
 * A LoopBack user as this service keeps it: the same id (so that other collections still match),
 * bcrypt hash, username, realm (or `defaultRealm`), emailVerified and creation time, with the email
 * normalized as every account here. Throws MalformedDocument for what this service cannot hold.
 */
export function toUserRecord(doc: SourceDocument, defaultRealm: string, now: Date): UserRecord {
  const email = requiredString(doc, 'email');
  const passwordHash = requiredString(doc, 'password');
  if (!BCRYPT_HASH.test(passwordHash)) throw new MalformedDocument('password', 'not a bcrypt hash ($2a$, $2b$ or $2y$)');
  const username = optionalString(doc, 'username');
  const realm = optionalString(doc, 'realm') ?? defaultRealm;
  const emailVerified = doc.fields.emailVerified;
  if (!absent(emailVerified) && typeof emailVerified !== 'boolean') throw new MalformedDocument('emailVerified', 'not a boolean');
  return {
    id: doc.id,
    realm: checked('realm', () => normalizeRealm(realm)),
    email: checked('email', () => normalizeEmail(email)),
    username: username === undefined || username === '' ? undefined : checked('username', () => normalizeUsername(username)),
    passwordHash,
    passwordChangedAt: undefined,
    emailVerified: emailVerified === true,
    disabled: false,
    // LoopBack 3's User has no `created` (LoopBack 2's had): an ObjectId's own time is when it was made.
    created: optionalDate(doc, 'created') ?? doc.idTime ?? now,
  };
}

/** Reads a LoopBack AccessToken document; its `_id` is the token in clear. */
export function readAccessToken(doc: SourceDocument): LoopBackAccessToken {
  const userId = doc.fields.userId;
  if (typeof userId !== 'string' && typeof userId !== 'number') throw new MalformedDocument('userId', absent(userId) ? 'missing' : 'not an id');
  const ttl = doc.fields.ttl;
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl)) throw new MalformedDocument('ttl', 'not a whole number of seconds');
  const created = optionalDate(doc, 'created');
  if (created === undefined) throw new MalformedDocument('created', 'missing');
  const scopes = doc.fields.scopes;
  if (!absent(scopes) && !(Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string'))) {
    throw new MalformedDocument('scopes', 'not a list of strings');
  }
  return {
    token: doc.id,
    userId: String(userId),
    principalType: optionalString(doc, 'principalType'),
    ttlSeconds: ttl,
    created,
    // Valid in LoopBack while fewer than ttl seconds have passed since created: the same instant.
    expiresAt: ttl === ETERNAL_TTL ? undefined : new Date(created.getTime() + ttl * 1000),
    scopes: (scopes ?? []).filter((scope) => scope !== LOOPBACK_DEFAULT_SCOPE),
  };
}
