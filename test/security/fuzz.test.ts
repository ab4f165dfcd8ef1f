/**
 * Property-based attack (fast-check) on every gRPC RPC and every REST route, once per store, one
 * server process per store (`npm run build` first). Inputs are random and adversarial: `$`, `.`,
 * operator-like strings and objects, NUL and control characters, lone surrogates, invalid UTF-8
 * (hand-made protobuf bytes), wrong JSON types, form and raw bodies, query parameters, headers and
 * metadata, and values up to 1 MB. Every answer must be one the error table of docs/contract.md
 * allows, in time, and the process must stay up.
 *
 * "No document changed that should not": the fuzz owns a few accounts and tracks, as a model, their
 * passwords and live tokens; it may use them (so that success paths are fuzzed too) but never holds
 * the known accounts' passwords or tokens. Every success must be explained by the model (a login
 * only with the exact password of a fuzz account, a logout only of a live fuzz token, never a known
 * user's id), and afterwards the known accounts must be intact: they log in, their tokens validate,
 * and on MongoDB their documents are byte-for-byte what they were.
 *
 * Replay a failure with the seed it prints: FUZZ_SEED=<seed> node --import tsx --test test/security/fuzz.test.ts
 * FUZZ_RUNS scales the number of runs (default below).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { normalizeEmail, normalizeRealm, normalizeUsername } from '../../src/core/accounts/identity.js';
import { usernameKey } from '../../src/storage/users/port.js';
import { connect } from '../support/grpc-client.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import {
  assertAlive,
  assertDocumentsWellFormed,
  assertKnownUsersIntact,
  assertNoSecretsInOutput,
  checkGrpcOutcome,
  checkRestAnswer,
  createKnownUsers,
  encodeMessage,
  errorLogLines,
  grpcHealthClient,
  KNOWN_ACCOUNTS,
  RawGrpcClient,
  REST_ROUTES,
  SECURITY_SERVER_ENV,
  sendHttp,
  snapshotKnown,
  STORES,
  str,
  type HttpAnswer,
  type KnownUser,
  type RestRoute,
  type Rpc,
  type StoreEnv,
  type WireField,
} from './support.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20260505);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

// =============================================================================================
// The value model. Values stay small and printable in counterexamples: long strings are
// { repeat, times }, and a fuzz account's data is a reference resolved when the request is sent.

type Role = 'email' | 'username' | 'password' | 'realm' | 'token' | 'scope';
type Form = 'exact' | 'upper' | 'lower' | 'spaced' | 'nul-suffix' | 'nul-doubled' | 'prefix' | 'lookalike' | 'regex' | 'bearer';
interface Ref {
  ref: 'email' | 'username' | 'password' | 'realm' | 'token';
  form: Form;
}
type Text = string | { repeat: string; times: number } | Ref;
/** A protobuf string field: text, or text with invalid UTF-8 spliced into its middle. */
type WireText = Text | { around: string; invalidUtf8: number[] };

/** An account the fuzz made and may use; its password and tokens are the model of what the server holds. */
interface FuzzAccount {
  id: string;
  email: string;
  username: string;
  realm: string;
  /** As the server received it; undefined when the request that set it cannot be known exactly (a raw body). */
  password: string | undefined;
  /** Live access tokens and when they expire (ms since epoch; Infinity for none). */
  tokens: Map<string, number>;
}

const isRef = (value: unknown): value is Ref => typeof value === 'object' && value !== null && 'ref' in value;

function applyForm(value: string, form: Form): string {
  switch (form) {
    case 'exact':
      return value;
    case 'upper':
      return value.toUpperCase();
    case 'lower':
      return value.toLowerCase();
    case 'spaced':
      return ` ${value} `;
    case 'nul-suffix':
      return `${value}\u0000`;
    case 'nul-doubled':
      return `${value}\u0000${value}`;
    case 'prefix':
      return value.slice(0, -1);
    case 'lookalike':
      return value.replace(/a/, '\u0430').replace(/e/, '\u0435'); // Cyrillic а and е
    case 'regex':
      return `^${value.slice(0, 2)}.*`;
    case 'bearer':
      return `Bearer ${value}`;
  }
}

function resolveText(value: Text, account: FuzzAccount | undefined): string {
  if (typeof value === 'string') return value;
  if (!isRef(value)) return value.repeat.repeat(value.times);
  if (!account) return '';
  const base =
    value.ref === 'token' ? ([...account.tokens.keys()].at(-1) ?? '') : value.ref === 'password' ? (account.password ?? '') : account[value.ref];
  return applyForm(base, value.form);
}

/** The bytes a protobuf string field carries. */
function wireBytes(value: WireText, account: FuzzAccount | undefined): Buffer {
  if (typeof value === 'object' && 'invalidUtf8' in value) {
    const middle = Math.floor(value.around.length / 2);
    return Buffer.concat([Buffer.from(value.around.slice(0, middle)), Buffer.from(value.invalidUtf8), Buffer.from(value.around.slice(middle))]);
  }
  return Buffer.from(resolveText(value, account), 'utf8');
}

/** What the server's protobuf decoder makes of string bytes (ts-proto: non-fatal UTF-8, BOM kept). */
const protoDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
/** What a percent-decoded form or query value is on the server: the UTF-8 of our string, lone surrogates replaced. */
const formView = (value: string): string => Buffer.from(value, 'utf8').toString('utf8');
/** Form and query encoding byte by byte, so that lone surrogates (which encodeURIComponent refuses) can be sent too. */
const percentEncode = (value: string): string =>
  [...Buffer.from(value, 'utf8')].map((byte) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`)).join('');
/** Metadata and header values can only be printable ASCII (grpc-js and node:http refuse the rest before sending). */
const printable = (value: string): string => value.replace(/[^\x20-\x7e]/g, '?');
/** How every transport reads a token from a header or metadata: `Bearer ` dropped, trimmed. */
const headerToken = (value: string): string => value.replace(/^Bearer\s+/i, '').trim();
/**
 * Which spellings are one identity is the service's own rule (core/accounts/identity.ts, held to
 * the red-team table of test/unit/identity.test.ts); the model asks it. undefined: refused.
 */
const normalized = (normalize: (value: string) => string, value: string): string | undefined => {
  try {
    return normalize(value);
  } catch {
    return undefined;
  }
};
const sameUsername = (a: string, b: string): boolean => usernameKey(normalizeUsername(a)) === usernameKey(normalizeUsername(b));

// =============================================================================================
// Arbitraries.

const KNOWN_EMAILS = KNOWN_ACCOUNTS.map((account) => account.email);

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const controlChar = fc.oneof(fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)), fc.constant('\u007f'));
const atom = fc.constantFrom(
  '$', '.', '$ne', '$gt', '$where', '$regex', '$expr', '$function', '.*', '^', '|', '\\', '"', "'", '{', '}', '[', ']', '@', ' ', ':', '/',
  '%00', '%', '\u200b', '\u202e', '\ufeff', '\uffff', '\ufffd', 'ſ', 'K', 'İ', 'ı', '\u0430', 'ａ', '＠', 'é', 'e\u0301', '😀',
  'admin', 'example.com', 'null', 'true', '0', '-1', '__proto__', 'constructor',
);
const piece = fc.oneof(
  { weight: 5, arbitrary: atom },
  { weight: 2, arbitrary: controlChar },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
  { weight: 3, arbitrary: fc.string({ maxLength: 6 }) },
);
/** Short adversarial strings. */
const junk = fc.array(piece, { maxLength: 10 }).map((pieces) => pieces.join(''));

const emailLike = fc
  .tuple(
    fc.oneof(junk, fc.constantFrom('a', 'admin', 'ADMIN', '$where', '$where.x', '.*', 'a.b', 'a+b', '"a@b"')),
    fc.oneof(junk, fc.constantFrom('example.com', 'b.c', 'exämple.com', 'example.com.', 'b..c', 'ex$ample.com', '.*', 'example.com\u0000', '[127.0.0.1]')),
  )
  .map(([local, domain]) => `${local}@${domain}`);

/** The known accounts' emails as an attacker would twist them; only trim and case may reach the same account. */
const lookalike = fc
  .tuple(
    fc.constantFrom(...KNOWN_EMAILS),
    fc.constantFrom<(email: string) => string>(
      (e) => e.toUpperCase(),
      (e) => ` ${e}\t`,
      (e) => e.replace('a', '\u0430'),
      (e) => e.replace('@', '＠'),
      (e) => `\uff41${e.slice(1)}`,
      (e) => `${e}\u0000`,
      (e) => `${e}\u200b`,
      (e) => `${e}.`,
      (e) => e.replace('@', '%40'),
      (e) => e.normalize('NFD'),
      (e) => e.replace(/\./g, '.*'),
      (e) => `${e.split('@')[0]}@.*`,
      (e) => `^${e}$`,
      (e) => e.replace('i', 'İ'),
    ),
  )
  .map(([email, twist]) => twist(email));

/** A value in one case out of `oneIn`, else undefined (fc.option's freq is the odds of undefined instead). */
const sometimes = <T,>(oneIn: number, arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

const long = fc.record({
  repeat: fc.constantFrom('a', '$', '.', '\u0000', 'é', '😀', 'a@b.c', '\ud800'),
  times: fc.oneof(fc.integer({ min: 100, max: 20_000 }), fc.integer({ min: 60_000, max: 1_100_000 })),
});

const FORMS: Record<Ref['ref'], Form[]> = {
  email: ['exact', 'exact', 'upper', 'spaced', 'nul-suffix', 'lookalike', 'regex'],
  username: ['exact', 'upper', 'nul-suffix', 'regex', 'spaced'],
  realm: ['exact', 'exact', 'upper', 'nul-suffix', 'regex', 'spaced'],
  // nul-doubled: bcrypt cycles its key with a NUL after it, so P\0P hashes like P; it must still be refused.
  password: ['exact', 'exact', 'exact', 'nul-doubled', 'nul-suffix', 'prefix', 'upper', 'spaced'],
  token: ['exact', 'exact', 'exact', 'bearer', 'spaced', 'lower', 'nul-suffix', 'prefix', 'regex'],
};
const refTo = (ref: Ref['ref']): fc.Arbitrary<Ref> => fc.constantFrom(...FORMS[ref]).map((form) => ({ ref, form }));

const base62 = fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'), minLength: 63, maxLength: 65 });

/** Per role, values aimed at it: look-alikes of real ones, its limits and just past them, operator-like strings. */
const TARGETED: Record<Role, fc.Arbitrary<Text>> = {
  email: fc.oneof(emailLike, lookalike, fc.constantFrom('', ' ', '{"$ne":null}', "' || '1'=='1", 'admin@example.com')),
  username: fc.constantFrom('admin', 'root.user', 'ADMIN', '$where', 'admin.*', '^admin', 'a'.repeat(64), 'a'.repeat(65), '.', '..', '-', '_', 'name:admin', 'none:x'),
  password: fc.oneof(
    fc.constantFrom('password', 'correct horse', '\u0000'.repeat(8), 'a'.repeat(72), 'a'.repeat(73), 'é'.repeat(36), 'é'.repeat(37), '\ud800'.repeat(8), '{"$ne":null}'),
    fc.string({ unit: 'binary', minLength: 8, maxLength: 30 }),
  ),
  realm: fc.constantFrom('', 'tenant.a', 'TENANT.A', 'ｔｅｎａｎｔ.ａ', 'tenant.a\u200b', ' tenant.a', '$tenant.a', 'realm-ü', 'realm-u\u0308', '$tenant', 'tenant.$a', '.*', 'a'.repeat(65), '\u0000'),
  token: fc.oneof(base62, fc.constantFrom('Bearer', 'Bearer ', '{"$ne":null}', '.*', 'null', 'undefined', '0'.repeat(64), '$'.repeat(64))),
  scope: fc.constantFrom('reset-password', 'RESET-PASSWORD', '', '*', '.*', '$all', 'reset-password\u0000', 'reset-password '),
};
const REF_OF: Partial<Record<Role, Ref['ref']>> = { email: 'email', username: 'username', password: 'password', realm: 'realm', token: 'token' };

function textOf(role: Role): fc.Arbitrary<Text> {
  const ref = REF_OF[role];
  return fc.oneof(
    { weight: 5, arbitrary: junk },
    { weight: 3, arbitrary: TARGETED[role] },
    { weight: ref ? 4 : 0, arbitrary: ref ? refTo(ref) : junk },
    { weight: 1, arbitrary: long },
  );
}

/**
 * Requests that are nearly right: the fuzz accounts' own data in one of its forms (mostly exact), or
 * fresh valid-looking values. They reach the success paths and the password and token checks, where
 * a form that is not exact must fail.
 */
const freshEmail = fc
  .tuple(fc.stringMatching(/^[a-z0-9$._+-]{1,12}$/), fc.constantFrom('example.com', 'exämple.com', 'b.co', 'x.y.z'))
  .map(([local, domain]) => `${local}@${domain}`);
/** Mostly the exact value, sometimes a twisted form of it (which must then fail). */
const ownRef = (ref: Ref['ref']): fc.Arbitrary<Ref> =>
  fc.oneof({ weight: 4, arbitrary: fc.constant<Ref>({ ref, form: 'exact' }) }, { weight: 1, arbitrary: refTo(ref) });
const NEAR_VALID: Record<Role, fc.Arbitrary<Text>> = {
  email: fc.oneof({ weight: 3, arbitrary: ownRef('email') }, { weight: 1, arbitrary: freshEmail }),
  username: fc.oneof(ownRef('username'), fc.stringMatching(/^[A-Za-z0-9._-]{1,16}$/), fc.constant('')),
  password: fc.oneof({ weight: 3, arbitrary: ownRef('password') }, { weight: 1, arbitrary: TARGETED.password }),
  realm: ownRef('realm'),
  token: ownRef('token'),
  scope: fc.constantFrom('reset-password', ''),
};
const smallTtl = fc.constantFrom(0, 0, 0, 1, 60, 3600, 31556927, 2 ** 40, -1);
const fewScopes = fc.oneof({ weight: 3, arbitrary: fc.constant<Text[]>([]) }, { weight: 1, arbitrary: fc.array(NEAR_VALID.scope, { maxLength: 2 }) });

const INVALID_UTF8 = [[0xff], [0xfe], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80]];
const wireTextOf = (role: Role): fc.Arbitrary<WireText> =>
  fc.oneof(
    { weight: 6, arbitrary: textOf(role) },
    { weight: 1, arbitrary: fc.record({ around: fc.oneof(junk, emailLike), invalidUtf8: fc.constantFrom(...INVALID_UTF8) }) },
  );

const int64 = fc.oneof(
  fc.constantFrom(0n, -1n, 1n, -2n, 1209600n, 31556926n, 31556927n, 2n ** 31n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)),
  fc.bigInt({ min: -1000n, max: 10n ** 9n }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);
const boolVarint = fc.oneof(fc.constantFrom(0n, 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));

// ---- gRPC requests: each declared field maybe present with a value for its role, plus stray wire fields.

type GrpcFieldKind = { role: Role; repeated?: true } | 'int64' | 'bool';
const GRPC_FIELDS: Record<Rpc, ReadonlyArray<[no: number, kind: GrpcFieldKind]>> = {
  Login: [[1, { role: 'email' }], [2, { role: 'username' }], [3, { role: 'password' }], [4, { role: 'realm' }], [5, 'int64'], [6, 'bool']],
  Logout: [[1, { role: 'token' }], [2, 'bool']],
  ResetPassword: [[1, { role: 'email' }], [2, { role: 'realm' }]],
  ValidateToken: [[1, { role: 'token' }], [2, { role: 'scope', repeated: true }], [3, 'bool']],
  CreateUser: [[1, { role: 'email' }], [2, { role: 'username' }], [3, { role: 'password' }], [4, { role: 'realm' }]],
  SetPassword: [[1, { role: 'token' }], [2, { role: 'password' }]],
  ChangePassword: [[1, { role: 'token' }], [2, { role: 'password' }], [3, { role: 'password' }]],
  ListSessions: [[1, { role: 'token' }]],
  // Session and user ids are fuzzed as tokens are: references to real tokens, their forms, and junk.
  RevokeSession: [[1, { role: 'token' }], [2, { role: 'token' }]],
  RequestEmailVerification: [[1, { role: 'email' }], [2, { role: 'realm' }]],
  ConfirmEmail: [[1, { role: 'token' }], [2, { role: 'token' }]],
};
const RPCS = Object.keys(GRPC_FIELDS) as Rpc[];

type GrpcValue = WireText | WireText[] | bigint;
interface GrpcAction {
  rpc: Rpc;
  /** Which fuzz account the references name (modulo the number of accounts). */
  owner: number;
  fields: Array<[no: number, value: GrpcValue | undefined]>;
  /** Fields of the wrong wire type or unknown number, appended after the declared ones. */
  stray: Array<{ no: number; kind: 'varint' | 'fixed64' | 'fixed32' | 'bytes'; n: bigint }>;
  authorization: Text | undefined;
  /** When set, sent instead of the message: arbitrary bytes, mostly malformed protobuf. */
  garbage: number[] | undefined;
}

function grpcValueOf(kind: GrpcFieldKind, nearValid: boolean): fc.Arbitrary<GrpcValue> {
  if (kind === 'int64') return nearValid ? smallTtl.map(BigInt) : int64;
  if (kind === 'bool') return nearValid ? fc.constantFrom(0n, 1n) : boolVarint;
  if (kind.repeated) return nearValid ? fewScopes : fc.array(wireTextOf(kind.role), { maxLength: 4 });
  return nearValid ? NEAR_VALID[kind.role] : wireTextOf(kind.role);
}

const grpcFields = (rpc: Rpc, nearValid: boolean) =>
  fc.tuple(...GRPC_FIELDS[rpc].map(([no, kind]) => fc.tuple(fc.constant(no), fc.option(grpcValueOf(kind, nearValid), { freq: nearValid ? 10 : 4, nil: undefined }))));

const grpcAction: fc.Arbitrary<GrpcAction> = fc.constantFrom(...RPCS).chain((rpc) =>
  fc.record({
    rpc: fc.constant(rpc),
    owner: fc.nat(),
    fields: fc.oneof(grpcFields(rpc, false), grpcFields(rpc, true)),
    stray: fc.array(
      fc.record({ no: fc.integer({ min: 1, max: 9 }), kind: fc.constantFrom('varint' as const, 'fixed64' as const, 'fixed32' as const, 'bytes' as const), n: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
      { maxLength: 2 },
    ),
    authorization: sometimes(3, fc.oneof(refTo('token'), TARGETED.token, junk)),
    garbage: sometimes(15, fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 24 })),
  }),
);

// ---- REST requests.

const operatorObject = fc.oneof(
  fc.constantFrom<unknown>({ $ne: null }, { $gt: '' }, { $regex: '.*' }, { $where: '1 == 1' }, { $exists: true }, { $in: KNOWN_EMAILS }, { $eq: 'admin@example.com' }, { $nin: [] }, { toString: 'x' }),
  fc.dictionary(fc.constantFrom('$ne', '$gt', '$lt', '$regex', '$where', '$or', '$exists', '$expr', '$function', '$options'), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 2 }),
);
/** A JSON field: a string of its role, or a value of the wrong type. */
type JsonField = { text: Text } | { json: unknown };
const jsonFieldOf = (role: Role): fc.Arbitrary<JsonField> =>
  fc.oneof(
    { weight: 6, arbitrary: textOf(role).map((text) => ({ text })) },
    { weight: 1, arbitrary: fc.constant({ json: null }) },
    { weight: 2, arbitrary: operatorObject.map((json) => ({ json })) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constantFrom(1e308, -1, 0, 1.5, 2 ** 53 + 2)).map((json) => ({ json })) },
    { weight: 1, arbitrary: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), fc.jsonValue({ maxDepth: 3 })).map((json) => ({ json })) },
  );

const FIELD_ROLES: Record<string, Role> = {
  email: 'email',
  username: 'username',
  password: 'password',
  oldPassword: 'password',
  newPassword: 'password',
  realm: 'realm',
  accessToken: 'token',
};
const REST_FIELDS: Record<string, readonly string[]> = {
  '/api/users/login': ['email', 'username', 'password', 'realm', 'ttl'],
  '/api/users/logout': [],
  '/api/users/reset': ['email', 'realm'],
  '/api/users/reset-password': ['newPassword'],
  '/api/users/change-password': ['oldPassword', 'newPassword'],
  '/api/users': ['email', 'password', 'username', 'realm'],
  '/api/tokens/validate': ['accessToken', 'requiredScopes'],
};

function jsonFieldFor(field: string): fc.Arbitrary<JsonField> {
  if (field === 'ttl') {
    return fc.oneof(
      int64.map((n) => ({ json: Number(n) })),
      fc.constantFrom<unknown>('abc', '10', '', -1, 1.5, 1e21, '0x10', [1], { $gt: 0 }, null, true).map((json) => ({ json })),
    );
  }
  if (field === 'requiredScopes') {
    return fc.oneof(
      fc.array(TARGETED.scope, { maxLength: 3 }).map((json) => ({ json })),
      fc.constantFrom<unknown>('reset-password', [1], [{ $ne: null }], {}, null, Array.from({ length: 40 }, () => 'x')).map((json) => ({ json })),
    );
  }
  return jsonFieldOf(FIELD_ROLES[field] ?? 'email');
}

function nearValidJson(field: string): fc.Arbitrary<JsonField> {
  if (field === 'ttl') return smallTtl.map((json) => ({ json }));
  if (field === 'requiredScopes') return fewScopes.map((json) => ({ json }));
  return NEAR_VALID[FIELD_ROLES[field] ?? 'email'].map((text) => ({ text }));
}

/** Keys no route declares: operators, prototype pollution, LoopBack filters, case variants. */
const strayKey = fc.constantFrom('$where', '__proto__', 'constructor', 'prototype', 'filter', 'where', 'email.$', '$or', 'include', 'Email', 'EMAIL', 'id', 'userId', 'emailVerified');

type RestBody =
  | { kind: 'json'; fields: Array<[string, JsonField | undefined]>; stray: Array<[string, unknown]> }
  | { kind: 'json-any'; value: unknown }
  | { kind: 'operators' }
  | { kind: 'form'; pairs: Array<[string, Text]> }
  | { kind: 'raw'; contentType: string; bytes: number[] | string }
  | { kind: 'none' };

const CONTENT_TYPES = [
  'application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml', 'multipart/form-data; boundary=x',
  'application/json; charset=utf-16', 'application/json; charset=latin1', 'APPLICATION/JSON', '', 'application/vnd.api+json',
  'application/x-www-form-urlencoded; charset=utf-8', 'application/json, text/plain',
];
const rawJsonish = fc.oneof(
  fc.constantFrom('{', '{"email":', '[' .repeat(3000), '{"a":'.repeat(2000), '1e999999', '{"email":"a@b.c"}garbage', '{"email":"\\ud800@b.c","password":"x"}', '\ufeff{}', '{"email":"a@b.c","email":{"$ne":null}}', '{"password":"\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000"}', 'email=a%40b.c&password[$ne]=1', '%FF%FE=%FF'),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

function restBodyFor(path: string): fc.Arbitrary<RestBody> {
  const fields = REST_FIELDS[path] ?? [];
  const formKey = fc.oneof(
    { weight: 4, arbitrary: fields.length ? fc.constantFrom(...fields) : fc.constant('accessToken') },
    { weight: 1, arbitrary: fc.constantFrom(...(fields.length ? fields : ['x'])).chain((field) => fc.constantFrom(`${field}[$ne]`, `${field}[]`, `${field}[0]`, `${field}.$gt`)) },
    { weight: 1, arbitrary: strayKey },
  );
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('json' as const),
        fields: fc.oneof(
          fc.tuple(...fields.map((field) => fc.tuple(fc.constant(field), fc.option(jsonFieldFor(field), { freq: 4, nil: undefined })))),
          fc.tuple(...fields.map((field) => fc.tuple(fc.constant(field), fc.option(nearValidJson(field), { freq: 10, nil: undefined })))),
        ),
        stray: fc.array(fc.tuple(strayKey, fc.oneof(operatorObject, fc.jsonValue({ maxDepth: 2 }))), { maxLength: 2 }),
      }),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'json-any' as const, value })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'operators' as const }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('form' as const),
        pairs: fc.array(fc.tuple(formKey, fc.oneof(textOf('email'), textOf('password'), textOf('token'))), { maxLength: 5 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('raw' as const),
        contentType: fc.constantFrom(...CONTENT_TYPES),
        bytes: fc.oneof(rawJsonish, fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 48 })),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  );
}

interface RestAction {
  route: RestRoute;
  method: string;
  owner: number;
  body: RestBody;
  query: Array<[string, Text]>;
  authorization: Text | undefined;
  xAccessToken: Text | undefined;
}

const queryKey = fc.constantFrom('access_token', 'access_token', 'include', 'all', 'access_token[$ne]', 'access_token[]', 'filter[where][email][$ne]', 'include[$ne]', '$where', '__proto__');
const queryValue = fc.oneof(refTo('token'), junk, fc.constantFrom<Text>('user', 'User', 'true', '1', 'false', '', '%FF', '%zz', '%00'));

const restAction: fc.Arbitrary<RestAction> = fc.constantFrom(...REST_ROUTES).chain((route) =>
  fc.record({
    route: fc.constant(route),
    method: route.path === '/api/users/logout' ? fc.constantFrom('POST', 'POST', 'GET', 'DELETE', 'PUT', 'PATCH') : fc.constant('POST'),
    owner: fc.nat(),
    body: restBodyFor(route.path),
    query: fc.array(fc.tuple(queryKey, queryValue), { maxLength: 3 }),
    authorization: sometimes(3, fc.oneof(refTo('token'), TARGETED.token, junk)),
    xAccessToken: sometimes(6, fc.oneof(refTo('token'), junk)),
  }),
);

// ---- Account lifecycles: one fresh account per run, every credential twisted against it.

/** Junk without what emails refuse outright: control, invisible, private-use and unassigned characters, white space, @. */
const printableJunk = fc
  .array(fc.oneof(atom, fc.string({ unit: 'binary', maxLength: 4 }), fc.string({ maxLength: 6 })), { maxLength: 8 })
  .map((pieces) => pieces.join('').replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Co}\p{Cn}\s@]/gu, ''));
/** A password the server accepts (8 characters to 72 bytes), with NUL, `$` and non-ASCII in it at times. */
const acceptedPassword = fc
  .array(fc.oneof(atom, fc.constantFrom('\u0000', '$', '.', 'é', '😀'), fc.string({ unit: 'binary', minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 16 })
  .map((pieces) => pieces.join('').replace(/[\ud800-\udfff]/g, ''))
  .filter((password) => [...password].length >= 8 && Buffer.byteLength(password) <= 72);

type Twist = (value: string) => string;
const EMAIL_TWISTS: Record<string, Twist> = {
  exact: (e) => e,
  upper: (e) => e.toUpperCase(),
  spaced: (e) => ` ${e}\t`,
  lookalike: (e) => e.replace('a', '\u0430').replace('e', '\u0435'),
  regex: (e) => `${e.split('@')[0]?.slice(0, 2)}.*@${e.split('@')[1]}`,
  nul: (e) => `${e}\u0000`,
  nfd: (e) => e.normalize('NFD'),
  'full-width': (e) => e.replace(/[a-z]/g, (letter) => String.fromCharCode(letter.charCodeAt(0) + 0xfee0)),
  'zero-width': (e) => e.replace('@', '\u200b@'),
};
const PASSWORD_TWISTS: Record<string, Twist> = {
  exact: (p) => p,
  // bcrypt cycles its key with a NUL after it (P, P\0P, P\0P\0P hash alike): a compare that trusts it lets these in.
  'nul-doubled': (p) => `${p}\u0000${p}`,
  'before-nul': (p) => p.split('\u0000')[0] ?? '',
  prefix: (p) => p.slice(0, -1),
  upper: (p) => p.toUpperCase(),
  spaced: (p) => ` ${p}`,
  'nul-suffix': (p) => `${p}\u0000`,
};

interface Lifecycle {
  grpc: boolean;
  local: string;
  domain: string;
  username: string;
  realm: string;
  password: string;
  newPassword: string;
  emailTwist: string;
  passwordTwist: string;
}

const cut = (value: string, max: number) => [...value].slice(0, max).join('');
/** The run number keeps accounts apart (shrinking replays runs against the same server). */
const lifecycleEmail = (c: Pick<Lifecycle, 'local' | 'domain'>, run: number) => `${cut(c.local, 40)}+r${run}@${c.domain}`;

const lifecycle: fc.Arbitrary<Lifecycle> = fc
  .record({
    grpc: fc.boolean(),
    local: fc.oneof(printableJunk, fc.constantFrom('$where', '.*', 'a.b', 'admin', '$ne')).map((local) => cut(local, 40)),
    domain: fc.constantFrom('example.com', 'exämple.com', 'b.co', 'x-y.z', 'ＥＸＡＭＰＬＥ.com', 'xn--mnchen-3ya.de'),
    username: fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/)),
    realm: fc.oneof(fc.constant(''), fc.constantFrom('tenant.a', 'Tenant.A', 'ｔｅｎａｎｔ-ｂ', 'realm_1'), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/)),
    password: acceptedPassword,
    newPassword: acceptedPassword.filter((password) => !password.includes('\u0000')),
    emailTwist: fc.constantFrom(...Object.keys(EMAIL_TWISTS)),
    passwordTwist: fc.constantFrom(...Object.keys(PASSWORD_TWISTS)),
  })
  // An address the service takes: the few left that NFKC turns into a second @ or past 64 characters are dropped.
  .filter((c) => normalized(normalizeEmail, lifecycleEmail(c, 99_999)) !== undefined);

// =============================================================================================
// The suite, once per store.

function describeFuzz(storeName: string, startStore: () => Promise<StoreEnv>): void {
  describe(`fuzzed input on every RPC and route (${storeName} store)`, () => {
    let store: StoreEnv;
    let server: ServerProcess;
    let raw: RawGrpcClient;
    let health: ReturnType<typeof grpcHealthClient>;
    let known: KnownUser[];
    let knownIds: Set<string>;
    let knownDocsBefore: Awaited<ReturnType<typeof snapshotKnown>> | undefined;
    const accounts: FuzzAccount[] = [];
    /** Answers per RPC and code, for the report at the end. */
    const tally = new Map<string, number>();
    const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

    before(async () => {
      store = await startStore();
      server = await startServer({ ...store.env, ...SECURITY_SERVER_ENV });
      raw = new RawGrpcClient(server.grpcAddress);
      health = grpcHealthClient(server.grpcAddress);
      known = await createKnownUsers(server.grpcAddress);
      knownIds = new Set(known.map((user) => user.id));
      if (store.mongo) knownDocsBefore = await snapshotKnown(store.mongo, known);
      // The fuzz's own accounts, with data that looks like an attack but is valid.
      const client = connect(server.grpcAddress);
      for (const [i, seed] of [
        { email: 'fuzz.owner$0@example.com', username: '', realm: '' },
        { email: 'fuzz-owner-1@example.com', username: 'Fuzz.Owner-1', realm: 'Fuzz.Realm' },
        { email: 'ōwner.2@exämple.com', username: 'owner_2', realm: '' },
      ].entries()) {
        const password = `fuzz owner ${i} password`;
        const { user } = await client.createUser({ ...seed, password });
        const { accessToken } = await client.login({ email: seed.email, username: '', password, realm: seed.realm, ttlSeconds: 0, includeUser: false });
        assert.ok(user && accessToken);
        // As stored: the model compares normalized forms.
        accounts.push({ email: user.email, username: user.username, realm: user.realm, id: user.id, password, tokens: new Map([[accessToken.id, Infinity]]) });
      }
      client.close();
    });

    after(async () => {
      raw?.close();
      health?.close();
      await server?.stop('SIGKILL');
      await store?.stop();
    });

    const accountFor = (owner: number): FuzzAccount | undefined => accounts[owner % accounts.length];
    const liveOwner = (token: string): FuzzAccount | undefined =>
      accounts.find((account) => (account.tokens.get(token) ?? 0) > Date.now() - 1000);

    /** A login the server accepted must be a fuzz account's, with that account's exact password. */
    function explainLogin(userId: string, token: string, expiresAt: number, fields: LoginFields | undefined, where: string): void {
      assert.ok(!knownIds.has(userId), `logged in as a known user: ${where}`);
      const account = accounts.find((candidate) => candidate.id === userId);
      assert.ok(account, `logged in as an account the fuzz never made: ${where}`);
      if (fields && account.password !== undefined) {
        assert.equal(fields.password, account.password, `logged in with a password that is not the account's: ${where}`);
        assert.equal(normalizeRealm(fields.realm), account.realm, `logged in across realms: ${where}`);
        if (fields.email) assert.equal(normalizeEmail(fields.email), account.email, `logged in with another email: ${where}`);
        else assert.ok(sameUsername(fields.username, account.username), `logged in with another username: ${where}`);
      }
      account.tokens.set(token, expiresAt);
    }

    function recordCreated(user: { id: string; email: string; username?: string; realm?: string }, password: string | undefined, where: string): void {
      assert.ok(!knownIds.has(user.id) && !accounts.some((account) => account.id === user.id), `CreateUser answered an existing id: ${where}`);
      accounts.push({ id: user.id, email: user.email, username: user.username ?? '', realm: user.realm ?? '', password, tokens: new Map() });
    }

    /** A token-taking call that succeeded must have used a live fuzz token; returns its owner and the token. */
    function explainToken(candidates: string[], where: string): { account: FuzzAccount; token: string } {
      for (const token of candidates) {
        const account = liveOwner(token);
        if (account) return { account, token };
      }
      assert.fail(`accepted a token the fuzz does not hold live: ${where}`);
    }

    // ---- gRPC

    async function runGrpc(action: GrpcAction): Promise<void> {
      const account = accountFor(action.owner);
      const wire: WireField[] = [];
      const view: Record<number, string | string[] | bigint> = {};
      for (const [no, value] of action.garbage ? [] : action.fields) {
        if (value === undefined) continue;
        if (typeof value === 'bigint') {
          wire.push({ no, kind: 'varint', value });
          view[no] = value;
        } else if (Array.isArray(value)) {
          const bytes = value.map((item) => wireBytes(item, account));
          bytes.forEach((b) => wire.push({ no, kind: 'bytes', value: b }));
          view[no] = bytes.map((b) => protoDecoder.decode(b));
        } else {
          const bytes = wireBytes(value, account);
          wire.push({ no, kind: 'bytes', value: bytes });
          view[no] = protoDecoder.decode(bytes);
        }
      }
      for (const { no, kind, n } of action.stray) {
        if (kind === 'bytes') wire.push({ no, kind, value: Buffer.from(n.toString(16)) });
        else if (kind === 'fixed32') wire.push({ no, kind, value: Number(n & 0xffffffffn) });
        else wire.push({ no, kind, value: n });
      }
      const message = action.garbage ? Buffer.from(action.garbage) : encodeMessage(wire);
      const authorization = action.authorization === undefined ? undefined : printable(resolveText(action.authorization, account));
      const outcome = await raw.call(action.rpc, message, authorization);
      const where = `${action.rpc} ${message.length} bytes ${JSON.stringify(summarize(view))} authorization=${JSON.stringify(authorization?.slice(0, 80))}`;
      const reason = checkGrpcOutcome(action.rpc, outcome, message.length, where);
      count(`gRPC ${action.rpc} ${reason ?? 'OK'}`);
      if (reason !== undefined) return;
      // Stray fields after the declared ones could overwrite them: the model is exact only without them.
      const exact = !action.garbage && action.stray.length === 0;
      const s = (no: number) => (typeof view[no] === 'string' ? (view[no] as string) : '');
      // What the server takes as the token: the field, else the metadata.
      const tokenCandidates = [s(1), ...(authorization === undefined ? [] : [headerToken(authorization)])].filter(Boolean);
      const response = outcome.response as Record<string, never>;
      switch (action.rpc) {
        case 'Login': {
          const token = response.accessToken as unknown as { id: string; userId: string; expiresAt?: Date };
          explainLogin(token.userId, token.id, token.expiresAt?.getTime() ?? Infinity, exact ? { email: s(1), username: s(2), password: s(3), realm: s(4) } : undefined, where);
          break;
        }
        case 'Logout': {
          const { account: owner, token } = explainToken(tokenCandidates, where);
          if (view[2] !== undefined && view[2] !== 0n) owner.tokens.clear();
          else owner.tokens.delete(token);
          break;
        }
        case 'ChangePassword': {
          const { account: owner, token } = explainToken(tokenCandidates, where);
          if (exact) assert.equal(s(2), owner.password, `ChangePassword accepted a wrong old password: ${where}`);
          owner.password = exact ? s(3) : undefined;
          for (const other of [...owner.tokens.keys()]) if (other !== token) owner.tokens.delete(other);
          break;
        }
        case 'SetPassword':
          assert.fail(`SetPassword succeeded, yet the fuzz holds no reset token: ${where}`);
          break;
        case 'RevokeSession':
          assert.fail(`RevokeSession succeeded, yet the fuzz holds no session id: ${where}`);
          break;
        case 'ConfirmEmail':
          assert.fail(`ConfirmEmail succeeded, yet the fuzz holds no verification token: ${where}`);
          break;
        case 'ListSessions': {
          explainToken(tokenCandidates, where);
          const sessions = (response as unknown as { sessions: { current: boolean }[] }).sessions;
          assert.equal(sessions.filter((session) => session.current).length, 1, `one current session: ${where}`);
          break;
        }
        case 'RequestEmailVerification':
          break;
        case 'CreateUser': {
          const user = response.user as unknown as { id: string; email: string; username: string; realm: string };
          recordCreated(user, exact ? s(3) : undefined, where);
          break;
        }
        case 'ValidateToken': {
          const validation = response as unknown as { active: boolean; userId: string };
          const scopes = Array.isArray(view[2]) ? view[2] : [];
          const fieldToken = s(1);
          if (validation.active) {
            assert.ok(!knownIds.has(validation.userId), `a fuzz input validated a known user's token: ${where}`);
            assert.equal(explainToken(tokenCandidates, where).account.id, validation.userId, where);
            assert.equal(scopes.length, 0, `an access token passed required_scopes: ${where}`);
          } else if (exact && fieldToken && scopes.length === 0) {
            const expires = accounts.find((a) => a.tokens.has(fieldToken))?.tokens.get(fieldToken) ?? 0;
            assert.ok(expires < Date.now() + 2000, `a live fuzz token answered inactive: ${where}`);
          }
          break;
        }
        case 'ResetPassword':
          break;
      }
    }

    // ---- REST

    async function runRest(action: RestAction): Promise<void> {
      const account = accountFor(action.owner);
      const resolve = (text: Text) => resolveText(text, account);
      const headers: Record<string, string> = {};
      let body: Buffer | undefined;
      /** The string fields as the server reads them, when that can be known exactly. */
      let fields: Record<string, unknown> | undefined;
      /** Declared fields of the wrong JSON type: each must make the request a 400 that never reaches a use case. */
      const wrongTypes: string[] = [];
      switch (action.body.kind) {
        case 'json': {
          const object: Record<string, unknown> = {};
          for (const [field, value] of action.body.fields) {
            if (value === undefined) continue;
            object[field] = 'text' in value ? resolve(value.text) : value.json;
            if (!('text' in value) && !hasDeclaredType(field, value.json)) wrongTypes.push(field);
          }
          fields = { ...object };
          // defineProperty: a plain assignment of "__proto__" would set the prototype, not send the key.
          for (const [key, value] of action.body.stray) Object.defineProperty(object, key, { value, enumerable: true, configurable: true, writable: true });
          headers['content-type'] = 'application/json';
          body = Buffer.from(JSON.stringify(object));
          break;
        }
        case 'json-any':
          headers['content-type'] = 'application/json';
          body = Buffer.from(JSON.stringify(action.body.value) ?? '');
          break;
        case 'operators': {
          // LoopBack's classic: every field an operator that matches anything.
          const object = Object.fromEntries((REST_FIELDS[action.route.path] ?? []).map((field) => [field, { $ne: null }]));
          headers['content-type'] = 'application/json';
          body = Buffer.from(JSON.stringify(object));
          wrongTypes.push(...Object.keys(object));
          break;
        }
        case 'form': {
          const pairs = action.body.pairs.map(([key, value]) => [key, resolve(value)] as const);
          headers['content-type'] = 'application/x-www-form-urlencoded';
          body = Buffer.from(pairs.map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`).join('&'));
          const keys = pairs.map(([key]) => key);
          if (new Set(keys).size === keys.length) fields = Object.fromEntries(pairs.map(([key, value]) => [key, formView(value)]));
          break;
        }
        case 'raw':
          if (action.body.contentType) headers['content-type'] = action.body.contentType;
          body = typeof action.body.bytes === 'string' ? Buffer.from(action.body.bytes) : Buffer.from(action.body.bytes);
          break;
        case 'none':
          break;
      }
      const query = action.query.map(([key, value]) => {
        const resolved = resolve(value);
        // '%FF', '%zz' and '%00' go out as written: malformed or invalid percent-encoding.
        return `${percentEncode(key)}=${/^%(FF|zz|00)$/.test(resolved) ? resolved : percentEncode(resolved)}`;
      });
      if (action.authorization !== undefined) headers.authorization = printable(resolve(action.authorization));
      if (action.xAccessToken !== undefined) headers['x-access-token'] = printable(resolve(action.xAccessToken));
      const path = `${action.route.path}${query.length ? `?${query.join('&')}` : ''}`;
      const answer = await sendHttp(server.httpUrl, { method: action.method, path, headers, body });
      const where = `${action.method} ${path.slice(0, 300)} headers=${JSON.stringify(headers).slice(0, 300)} body(${body?.length ?? 0})=${JSON.stringify(body?.subarray(0, 300).toString())}`;
      const code = checkRestAnswer(action.route, answer, where);
      count(`REST ${action.route.path} ${code ?? answer.status}`);
      if (wrongTypes.length > 0) {
        if (action.route.rpc === 'Login' && wrongTypes.some((field) => ['email', 'username', 'password'].includes(field))) count('REST login with wrong-typed credentials');
        // 413 when the body is over the limit too: its size is checked before its fields.
        assert.equal(answer.status, (body?.length ?? 0) > 16 * 1024 ? 413 : 400, `a field of the wrong type (${wrongTypes.join(', ')}) must be 400: ${where}`);
      }
      if (code !== undefined) return;
      explainRest(action, answer, fields, headers, where);
    }

    function explainRest(action: RestAction, answer: HttpAnswer, fields: Record<string, unknown> | undefined, headers: Record<string, string>, where: string): void {
      const str = (key: string) => (typeof fields?.[key] === 'string' ? (fields[key] as string) : '');
      const queryToken = action.query.filter(([key]) => key === 'access_token');
      const tokenCandidates = [
        ...queryToken.map(([, value]) => formView(resolveText(value, accountFor(action.owner))).trim()),
        ...(headers['x-access-token'] !== undefined ? [headerToken(headers['x-access-token'])] : []),
        ...(headers.authorization !== undefined ? [headerToken(headers.authorization)] : []),
      ].filter(Boolean);
      const json = answer.json as Record<string, unknown>;
      switch (action.route.rpc) {
        case 'Login':
          explainLogin(String(json.userId), String(json.id), Date.parse(String(json.created)) + Number(json.ttl) * 1000, fields && { email: str('email'), username: str('username'), password: str('password'), realm: str('realm') }, where);
          break;
        case 'Logout': {
          const { account, token } = explainToken(tokenCandidates, where);
          const all = action.query.filter(([key]) => key === 'all').map(([, value]) => resolveText(value, undefined));
          if (all.length === 1 && (all[0] === 'true' || all[0] === '1')) account.tokens.clear();
          else account.tokens.delete(token);
          break;
        }
        case 'ChangePassword': {
          const { account, token } = explainToken(tokenCandidates, where);
          if (fields) assert.equal(str('oldPassword'), account.password, `change-password accepted a wrong old password: ${where}`);
          account.password = fields ? str('newPassword') : undefined;
          for (const other of [...account.tokens.keys()]) if (other !== token) account.tokens.delete(other);
          break;
        }
        case 'SetPassword':
          assert.fail(`reset-password succeeded, yet the fuzz holds no reset token: ${where}`);
          break;
        case 'CreateUser':
          recordCreated(json as never, fields ? str('password') : undefined, where);
          break;
        case 'ValidateToken':
          if (json.active === true) {
            assert.ok(!knownIds.has(String(json.userId)), `a fuzz input validated a known user's token: ${where}`);
            const candidates = [str('accessToken'), ...tokenCandidates].filter(Boolean);
            assert.equal(explainToken(candidates, where).account.id, json.userId, where);
            assert.deepEqual(json.scopes, [], where);
          }
          break;
        case 'ResetPassword':
          break;
      }
    }

    // ---- The properties

    const fuzz = async <T,>(t: TestContext, name: string, arbitrary: fc.Arbitrary<T>, runs: number, run: (value: T) => Promise<void>) => {
      const started = performance.now();
      let done = 0;
      try {
        await fc.assert(
          fc.asyncProperty(arbitrary, async (value) => {
            done++;
            await run(value);
            await assertAlive(server, health, `${name} #${done}`);
          }),
          { seed: SEED, numRuns: runs },
        );
      } catch (err) {
        // fast-check's message holds the seed, path and counterexample; the failed assertion is its cause.
        const cause = (err as Error).cause;
        const why = cause instanceof Error ? cause.message : String(cause);
        throw new Error(`${(err as Error).message}\n\nFailed check: ${why}\n\nReplay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`, { cause: err });
      } finally {
        t.diagnostic(`${name}: ${done} runs (incl. shrinking), seed ${SEED}, ${Math.round(performance.now() - started)} ms`);
      }
    };

    test('every gRPC RPC answers random and malformed messages within the table', async (t) => {
      await fuzz(t, 'gRPC', grpcAction, RUNS, runGrpc);
    });

    test('every REST route answers random and malformed requests within the table', async (t) => {
      await fuzz(t, 'REST', restAction, RUNS, runRest);
    });

    test('logins with operator-valued credentials (LoopBack style) never succeed', async (t) => {
      const operatorLogin = fc.record({
        email: fc.oneof(operatorObject, fc.constantFrom<unknown>('admin@example.com', { $ne: null })),
        password: fc.oneof(operatorObject, fc.constant<unknown>({ $ne: null })),
        form: fc.boolean(),
      });
      let sent = 0;
      await fuzz(t, 'operator logins', operatorLogin, Math.ceil(RUNS / 6), async ({ email, password, form }) => {
        const route = REST_ROUTES[0] as RestRoute;
        // Forms spell operators the qs way (email[$ne]=); this gateway must read that as a plain key.
        const formValue = (value: unknown) => percentEncode(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));
        const body = form
          ? Object.entries({ email, password })
              .flatMap(([key, value]) =>
                typeof value === 'object' && value !== null
                  ? Object.entries(value).map(([op, inner]) => `${key}[${percentEncode(op)}]=${formValue(inner)}`)
                  : [`${key}=${formValue(value)}`],
              )
              .join('&')
          : JSON.stringify({ email, password });
        const answer = await sendHttp(server.httpUrl, { path: '/api/users/login', headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' }, body });
        checkRestAnswer(route, answer, body);
        sent++;
        assert.notEqual(answer.status, 200, `operator credentials logged in: ${body}`);
      });
      t.diagnostic(`${sent} operator-valued logins, none answered 200`);
    });

    // ---- Account lifecycles, on one transport per run

    type Result<T> = { ok: true; value: T } | { ok: false; code: string };

    /** The calls of a lifecycle on gRPC (hand-encoded, token in metadata for Logout) or REST (JSON, token in headers). */
    function lifecycleApi(grpc: boolean) {
      const viaGrpc = async <T,>(rpc: Rpc, fields: WireField[], pick: (response: never) => T, authorization?: string): Promise<Result<T>> => {
        const message = encodeMessage(fields);
        const outcome = await raw.call(rpc, message, authorization);
        const reason = checkGrpcOutcome(rpc, outcome, message.length, 'lifecycle');
        return reason === undefined ? { ok: true, value: pick(outcome.response as never) } : { ok: false, code: reason };
      };
      const viaRest = async <T,>(path: string, json: unknown, pick: (body: never) => T, headers: Record<string, string> = {}): Promise<Result<T>> => {
        const route = REST_ROUTES.find((candidate) => candidate.path === path) as RestRoute;
        const body = json === undefined ? undefined : JSON.stringify(json);
        const answer = await sendHttp(server.httpUrl, { path, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, body });
        const code = checkRestAnswer(route, answer, `lifecycle ${body ?? ''}`);
        return code === undefined ? { ok: true, value: pick(answer.json as never) } : { ok: false, code };
      };
      type Identity = { email: string } | { username: string };
      return {
        create: (email: string, username: string, password: string, realm: string) =>
          grpc
            ? viaGrpc('CreateUser', [str(1, email), str(2, username), str(3, password), str(4, realm)], (r: { user: { id: string; email: string } }) => r.user)
            : viaRest('/api/users', { email, ...(username ? { username } : {}), password, realm }, (b: { id: string; email: string }) => b),
        login: (identity: Identity, password: string, realm: string) =>
          grpc
            ? viaGrpc(
                'Login',
                [str(1, 'email' in identity ? identity.email : ''), str(2, 'username' in identity ? identity.username : ''), str(3, password), str(4, realm)],
                (r: { accessToken: { id: string; userId: string } }) => ({ token: r.accessToken.id, userId: r.accessToken.userId }),
              )
            : viaRest('/api/users/login', { ...identity, password, realm }, (b: { id: string; userId: string }) => ({ token: b.id, userId: b.userId })),
        validate: (token: string, scopes: string[] = []) =>
          grpc
            ? viaGrpc('ValidateToken', [str(1, token), ...scopes.map((scope) => str(2, scope))], (r: { active: boolean; userId: string }) => ({ active: r.active, userId: r.userId }))
            : viaRest('/api/tokens/validate', { accessToken: token, requiredScopes: scopes }, (b: { active: boolean; userId?: string }) => ({ active: b.active, userId: b.userId ?? '' })),
        change: (token: string, oldPassword: string, newPassword: string) =>
          grpc
            ? viaGrpc('ChangePassword', [str(1, token), str(2, oldPassword), str(3, newPassword)], () => undefined)
            : viaRest('/api/users/change-password', { oldPassword, newPassword }, () => undefined, { authorization: `Bearer ${token}` }),
        logout: (token: string) =>
          grpc ? viaGrpc('Logout', [], (r: { revoked: number }) => r.revoked, `Bearer ${token}`) : viaRest('/api/users/logout', undefined, () => 1, { authorization: token }),
      };
    }

    const ok = <T,>(result: Result<T>, what: string): T => {
      if (!result.ok) assert.fail(`${what} was refused with ${result.code}`);
      return result.value;
    };
    const refused = (result: Result<unknown>, what: string, codes: readonly string[]): void => {
      assert.ok(!result.ok, `${what} succeeded`);
      assert.ok(codes.includes(result.code), `${what} answered ${result.code}, expected one of ${codes.join(', ')}`);
    };

    let lifecycles = 0;
    /** One fresh account: create, log in, twist each credential, change the password, log out. */
    async function runLifecycle(c: Lifecycle): Promise<void> {
      const n = ++lifecycles;
      const api = lifecycleApi(c.grpc);
      const email = lifecycleEmail(c, n);
      // The run number first: usernames compare without case, so `ab1`+`2` and `AB`+`12` would be one.
      const username = c.username ? `r${n}.${c.username}` : '';
      const realm = c.realm;
      const where = (step: string) => `${c.grpc ? 'gRPC' : 'REST'} lifecycle ${n} (${JSON.stringify({ email, username, realm, password: c.password })}): ${step}`;

      const created = await api.create(email, username, c.password, realm);
      if (!created.ok && c.password.includes('\u0000')) {
        // Refusing NUL in passwords outright is one right answer (bcrypt cannot tell P from P\0P).
        assert.equal(created.code, 'INVALID_ARGUMENT', where('create with NUL in the password'));
        return;
      }
      const user = ok(created, where('create'));
      assert.equal(user.email, normalizeEmail(email), where('create answers the normalized email'));
      const first = ok(await api.login({ email }, c.password, realm), where('login'));
      assert.equal(first.userId, user.id, where('login is the new account'));

      // Emails match as the service normalizes them (trim, NFKC, case, IDNA), nothing else; passwords match exactly.
      const twistedEmail = (EMAIL_TWISTS[c.emailTwist] as Twist)(email);
      const emailLogin = await api.login({ email: twistedEmail }, c.password, realm);
      if (normalized(normalizeEmail, twistedEmail) === normalizeEmail(email)) assert.equal(ok(emailLogin, where(`login as ${c.emailTwist} email`)).userId, user.id);
      else refused(emailLogin, where(`login as ${c.emailTwist} email ${JSON.stringify(twistedEmail)}`), ['LOGIN_FAILED', 'INVALID_EMAIL']);
      const twistedPassword = (PASSWORD_TWISTS[c.passwordTwist] as Twist)(c.password);
      const passwordLogin = await api.login({ email }, twistedPassword, realm);
      if (twistedPassword === c.password) ok(passwordLogin, where('login, exact password'));
      else refused(passwordLogin, where(`login with the ${c.passwordTwist} password ${JSON.stringify(twistedPassword)}`), ['LOGIN_FAILED', 'PASSWORD_REQUIRED']);
      if (username) assert.equal(ok(await api.login({ username }, c.password, realm), where('login by username')).userId, user.id);
      refused(await api.login({ email }, c.password, `${realm}x`), where('login in another realm'), ['LOGIN_FAILED', 'INVALID_ARGUMENT']);

      // The token is the account's, for no scope but its own, and only exactly itself.
      assert.deepEqual(ok(await api.validate(first.token), where('validate')), { active: true, userId: user.id });
      assert.equal(ok(await api.validate(first.token, ['reset-password']), where('validate with a scope')).active, false, where('scope'));
      assert.equal(ok(await api.validate(first.token.toLowerCase()), where('validate lower-cased')).active, false, where('lower-cased token'));

      // ChangePassword: the twisted old password fails unless it is the password; others sessions end.
      const second = ok(await api.login({ email }, c.password, realm), where('second login'));
      const change = await api.change(first.token, twistedPassword, c.newPassword);
      if (twistedPassword === c.password) ok(change, where('change password'));
      else {
        refused(change, where(`change password with the ${c.passwordTwist} old password`), ['INVALID_PASSWORD', 'PASSWORD_REQUIRED']);
        ok(await api.change(first.token, c.password, c.newPassword), where('change password'));
      }
      assert.equal(ok(await api.validate(first.token), where('validate')).active, true, where('the token used stays valid'));
      assert.equal(ok(await api.validate(second.token), where('validate')).active, false, where('other sessions end'));
      if (c.newPassword !== c.password) refused(await api.login({ email }, c.password, realm), where('login with the old password'), ['LOGIN_FAILED']);
      const third = ok(await api.login({ email }, c.newPassword, realm), where('login with the new password'));

      ok(await api.logout(first.token), where('logout'));
      assert.equal(ok(await api.validate(first.token), where('validate')).active, false, where('logged out'));
      refused(await api.logout(first.token), where('second logout'), ['INVALID_TOKEN']);
      assert.equal(ok(await api.validate(third.token), where('validate')).active, true, where('another session survives a logout'));
    }

    test('account lifecycles: only the exact credentials work, and only on their own account', async (t) => {
      await fuzz(t, 'lifecycles', lifecycle, Math.ceil(RUNS / 5), runLifecycle);
    });

    test('afterwards: the known users and their tokens are intact, nothing failed inside', async (t) => {
      await assertAlive(server, health, 'the fuzz');
      await assertKnownUsersIntact(server.grpcAddress, known);
      if (store.mongo && knownDocsBefore) {
        assert.deepEqual(await snapshotKnown(store.mongo, known), knownDocsBefore, 'the known documents are unchanged');
        const stored = await assertDocumentsWellFormed(store.mongo);
        t.diagnostic(`MongoDB after the fuzz: ${stored.users} users, ${stored.tokens} tokens, all well-formed`);
      }
      assert.deepEqual(errorLogLines(server), [], 'no call failed unexpectedly (INTERNAL is logged at error level)');
      assertNoSecretsInOutput(server, known);
      t.diagnostic(`fuzz accounts at the end: ${accounts.length}; answers: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
    });
  });
}

/** Whether a JSON value has the type the route's schema declares for the field (null means "not given" everywhere). */
function hasDeclaredType(field: string, value: unknown): boolean {
  if (value === null) return true;
  if (field === 'ttl') return Number.isInteger(value);
  if (field === 'requiredScopes') return Array.isArray(value) && value.length <= 32 && value.every((item) => typeof item === 'string');
  return typeof value === 'string';
}

/** The decoded fields of a gRPC request, with long values cut for the failure message. */
function summarize(view: Record<number, string | string[] | bigint>): Record<number, unknown> {
  const cut = (value: string) => (value.length > 80 ? `${value.slice(0, 40)}…(${value.length} chars)` : value);
  return Object.fromEntries(
    Object.entries(view).map(([no, value]) => [no, typeof value === 'bigint' ? value.toString() : Array.isArray(value) ? value.map(cut) : cut(value)]),
  );
}

interface LoginFields {
  email: string;
  username: string;
  password: string;
  realm: string;
}

for (const [name, start] of STORES) describeFuzz(name, start);
