import { randomBytes, randomUUID } from 'node:crypto';
import type { IdentityRecord } from '../../../src/storage/identities/port.js';
import type { LoginStateRecord } from '../../../src/storage/login-states/port.js';
import type { TokenRecord } from '../../../src/storage/tokens/port.js';
import type { UserRecord } from '../../../src/storage/users/port.js';

/** A store under test and how to dispose of it. */
export interface Fixture<S> {
  store: S;
  teardown(): Promise<void>;
}

// Whole seconds: every store keeps at least millisecond precision.
export const T0 = new Date('2026-01-01T00:00:00Z');
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

export const randomHash = () => randomBytes(32).toString('hex');

export function user(overrides: Partial<UserRecord> = {}): UserRecord {
  const id = randomUUID();
  return {
    id,
    realm: '',
    email: `${id}@example.com`,
    username: undefined,
    passwordHash: '$2b$04$abcdefghijklmnopqrstuu',
    passwordChangedAt: undefined,
    emailVerified: false,
    disabled: false,
    created: T0,
    ...overrides,
  };
}

export const randomSessionId = () => randomBytes(16).toString('hex');

export function token(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    hash: randomHash(),
    sessionId: randomSessionId(),
    userId: 'user-1',
    realm: '',
    scopes: [],
    created: T0,
    ttlSeconds: 3600,
    expiresAt: at(3600),
    lastUsed: T0,
    userAgent: 'test-agent/1.0',
    address: '192.0.2.1',
    ...overrides,
  };
}

/** Strings that look like query operators or paths; every store must treat them as plain values. */
export const ODD_VALUES = ['{"$ne": null}', '{"$ne":null}', '$ne', '$where', 'a.b$c', '{', 'x.y.z', '$', '.', '{"$gt": ""}'];

export function identity(overrides: Partial<IdentityRecord> = {}): IdentityRecord {
  const subject = randomUUID();
  return {
    provider: 'google',
    subject,
    userId: 'user-1',
    email: `${subject}@example.com`,
    emailVerified: true,
    profile: { name: 'Ann Example' },
    created: T0,
    lastLogin: T0,
    ...overrides,
  };
}

export function loginState(overrides: Partial<LoginStateRecord> = {}): LoginStateRecord {
  return {
    stateHash: randomHash(),
    provider: 'google',
    redirectUri: 'https://app.example.com/cb',
    realm: '',
    nonce: randomBytes(16).toString('base64url'),
    codeVerifier: randomBytes(32).toString('base64url'),
    bindingHash: undefined,
    linkUserId: undefined,
    returnTo: undefined,
    created: T0,
    expiresAt: at(600),
    ...overrides,
  };
}
