import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DuplicateSieve } from '../../src/core/migration/duplicate-sieve.js';
import { MalformedDocument, readAccessToken, toUserRecord } from '../../src/core/migration/loopback-records.js';
import type { SourceDocument } from '../../src/core/ports.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const ID_TIME = new Date('2025-01-02T03:04:05Z');
const HASH = '$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';

const userDoc = (fields: Record<string, unknown>): SourceDocument => ({
  id: '6b0dc7f26202bc63234ba507',
  idTime: ID_TIME,
  fields: { email: 'Ann@Example.com', password: HASH, ...fields },
});

const malformed = (field: string) => (err: unknown) => err instanceof MalformedDocument && err.message.startsWith(`${field}: `);

describe('a LoopBack user as stored here', () => {
  it('keeps id, hash, username, realm and emailVerified, normalizes the email, dates it by its ObjectId, enabled', () => {
    assert.deepEqual(toUserRecord(userDoc({ username: 'ann', realm: 'tenant-b', emailVerified: true }), '', NOW), {
      id: '6b0dc7f26202bc63234ba507',
      realm: 'tenant-b',
      email: 'ann@example.com',
      username: 'ann',
      passwordHash: HASH,
      passwordChangedAt: undefined,
      emailVerified: true,
      disabled: false,
      created: ID_TIME,
    });
  });

  it("takes the default realm, LoopBack 2's created, and the import's time when there is neither", () => {
    const created = new Date('2020-05-05T00:00:00Z');
    const user = toUserRecord(userDoc({ realm: null, emailVerified: null, created }), 'default-realm', NOW);
    assert.deepEqual([user.realm, user.emailVerified, user.created, user.username], ['default-realm', false, created, undefined]);
    const stringId = { ...userDoc({}), id: 'ann', idTime: undefined };
    assert.equal(toUserRecord(stringId, '', NOW).created, NOW);
  });

  it('accepts the bcrypt variants this service verifies, and nothing else', () => {
    for (const prefix of ['$2a$', '$2b$', '$2y$']) toUserRecord(userDoc({ password: prefix + HASH.slice(4) }), '', NOW);
    for (const password of ['$2x$' + HASH.slice(4), 'plain text', HASH.slice(0, -1), '$2a$03$' + HASH.slice(7), 42]) {
      assert.throws(() => toUserRecord(userDoc({ password }), '', NOW), malformed('password'), String(password));
    }
  });

  it('reports what this service cannot hold, naming the field', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ email: undefined }, 'email'],
      [{ email: 'carl@localhost' }, 'email'],
      [{ email: ['a@example.com'] }, 'email'],
      [{ username: 'John Smith' }, 'username'],
      [{ username: 7 }, 'username'],
      [{ realm: 'x'.repeat(200) }, 'realm'],
      [{ emailVerified: 'yes' }, 'emailVerified'],
      [{ created: 'yesterday' }, 'created'],
    ];
    for (const [fields, field] of cases) {
      assert.throws(() => toUserRecord(userDoc(fields), '', NOW), malformed(field), JSON.stringify(fields));
    }
  });
});

describe('a LoopBack access token', () => {
  const created = new Date('2026-05-01T00:00:00Z');
  const tokenDoc = (fields: Record<string, unknown>): SourceDocument => ({
    id: 'A'.repeat(64),
    idTime: undefined,
    fields: { userId: '6b0dc7f26202bc63234ba507', ttl: 3600, created, ...fields },
  });

  it('expires when LoopBack would: created + ttl seconds; -1 never', () => {
    const token = readAccessToken(tokenDoc({}));
    assert.deepEqual(token, {
      token: 'A'.repeat(64),
      userId: '6b0dc7f26202bc63234ba507',
      principalType: undefined,
      ttlSeconds: 3600,
      created,
      expiresAt: new Date('2026-05-01T01:00:00Z'),
      scopes: [],
    });
    assert.equal(readAccessToken(tokenDoc({ ttl: -1 })).expiresAt, undefined);
  });

  it("keeps its scopes, LoopBack's DEFAULT being no scope here", () => {
    assert.deepEqual(readAccessToken(tokenDoc({ scopes: ['reset-password'] })).scopes, ['reset-password']);
    assert.deepEqual(readAccessToken(tokenDoc({ scopes: ['DEFAULT'] })).scopes, []);
    assert.deepEqual(readAccessToken(tokenDoc({ scopes: null })).scopes, []);
  });

  it('reports a document LoopBack could not have used', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ userId: undefined }, 'userId'],
      [{ ttl: 'forever' }, 'ttl'],
      [{ ttl: 1.5 }, 'ttl'],
      [{ created: undefined }, 'created'],
      [{ created: new Date(Number.NaN) }, 'created'],
      [{ scopes: 'DEFAULT' }, 'scopes'],
      [{ scopes: [1] }, 'scopes'],
    ];
    for (const [fields, field] of cases) assert.throws(() => readAccessToken(tokenDoc(fields)), malformed(field), JSON.stringify(fields));
  });
});

describe('DuplicateSieve', () => {
  it('flags every key seen twice, and few others', () => {
    const sieve = new DuplicateSieve();
    const keys = Array.from({ length: 50_000 }, (_, i) => `user${i}@example.com`);
    for (const key of keys) sieve.add(key);
    for (const repeat of ['user7@example.com', 'user49999@example.com']) sieve.add(repeat);
    assert.equal(sieve.mayRepeat('user7@example.com'), true);
    assert.equal(sieve.mayRepeat('user49999@example.com'), true);
    // 50,000 keys in 2^31 fingerprints: about 0.6 colliding pairs expected.
    assert.ok(keys.filter((key) => sieve.mayRepeat(key)).length < 10);
  });
});
