/**
 * Shared by the security tests (fuzz.test.ts, injection.test.ts): the two store variants, a raw
 * HTTP client and a raw gRPC client that send exactly the bytes they are given, a protobuf
 * encoder for hand-made (also malformed) messages, and the checks that an answer is one the
 * error table of docs/contract.md allows.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Client, credentials, loadPackageDefinition, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { MongoClient } from 'mongodb';
import {
  ChangePasswordResponse,
  ConfirmEmailResponse,
  CreateUserResponse,
  ListSessionsResponse,
  RequestEmailVerificationResponse,
  RevokeSessionResponse,
  LoginResponse,
  LogoutResponse,
  ResetPasswordResponse,
  SetPasswordResponse,
  ValidateTokenResponse,
} from '../../src/gen/auth/v1/auth.js';
import { connect, errorDetails, type Client as AuthClient } from '../support/grpc-client.js';
import { startMongo } from '../support/mongo.js';
import type { ServerProcess } from '../support/server-process.js';

/** An answer slower than this counts as a hang. bcrypt runs at cost 4 in tests, so real answers take milliseconds. */
export const HANG_MS = 3000;

// ---------------------------------------------------------------------------------------------
// Store variants: each suite runs once per store, one server process per store.

export interface StoreEnv {
  env: Record<string, string>;
  /** MongoDB only: where the server keeps its documents, so that a test can read them directly. */
  mongo?: { uri: string; dbName: string };
  stop(): Promise<void>;
}

export const STORES: ReadonlyArray<[name: string, start: () => Promise<StoreEnv>]> = [
  ['embedded', async () => ({ env: {}, stop: async () => undefined })],
  [
    'MongoDB',
    async () => {
      const mongo = await startMongo();
      return {
        env: { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName },
        mongo: { uri: mongo.uri, dbName: mongo.dbName },
        stop: () => mongo.stop(),
      };
    },
  ],
];

/**
 * Server settings for the security suites. The login throttle is set out of reach: the fuzz sends
 * many wrong passwords for the known accounts on purpose, and a lock would make the final "known
 * users still log in" check fail for a legitimate reason (the throttle has its own tests).
 */
export const SECURITY_SERVER_ENV = { LOGIN_MAX_FAILURES: '1000000', LOG_LEVEL: 'info' } as const;

// ---------------------------------------------------------------------------------------------
// The error table of docs/contract.md.

export const CONTRACT_CODES = [
  'USERNAME_EMAIL_REQUIRED',
  'INVALID_EMAIL',
  'PASSWORD_REQUIRED',
  'LOGIN_FAILED',
  'TOO_MANY_ATTEMPTS',
  'INVALID_TOKEN',
  'EMAIL_EXISTS',
  'USERNAME_EXISTS',
  'SIGNUP_CLOSED',
  'PASSWORD_TOO_SHORT',
  'PASSWORD_TOO_LONG',
  'INVALID_PASSWORD',
  'INVALID_TTL',
  'INVALID_ARGUMENT',
  'SESSION_NOT_FOUND',
] as const;
export type ContractCode = (typeof CONTRACT_CODES)[number];

/** The gRPC status of each code (SERVICE_UNAVAILABLE and INTERNAL left out: malformed input must never cause them). */
const GRPC_STATUS_OF: Record<ContractCode, status> = {
  USERNAME_EMAIL_REQUIRED: status.INVALID_ARGUMENT,
  INVALID_EMAIL: status.INVALID_ARGUMENT,
  PASSWORD_REQUIRED: status.INVALID_ARGUMENT,
  LOGIN_FAILED: status.UNAUTHENTICATED,
  TOO_MANY_ATTEMPTS: status.RESOURCE_EXHAUSTED,
  INVALID_TOKEN: status.UNAUTHENTICATED,
  EMAIL_EXISTS: status.ALREADY_EXISTS,
  USERNAME_EXISTS: status.ALREADY_EXISTS,
  SIGNUP_CLOSED: status.PERMISSION_DENIED,
  PASSWORD_TOO_SHORT: status.INVALID_ARGUMENT,
  PASSWORD_TOO_LONG: status.INVALID_ARGUMENT,
  INVALID_PASSWORD: status.INVALID_ARGUMENT,
  INVALID_TTL: status.INVALID_ARGUMENT,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  SESSION_NOT_FOUND: status.NOT_FOUND,
};

/** The REST status of each code, plus the HTTP layer's own codes (unreadable body, size, media type, route, timeout, headers). */
const REST_STATUS_OF: Record<string, number> = {
  USERNAME_EMAIL_REQUIRED: 400,
  INVALID_EMAIL: 400,
  PASSWORD_REQUIRED: 400,
  LOGIN_FAILED: 401,
  TOO_MANY_ATTEMPTS: 429,
  INVALID_TOKEN: 401,
  EMAIL_EXISTS: 422,
  USERNAME_EXISTS: 422,
  SIGNUP_CLOSED: 403,
  PASSWORD_TOO_SHORT: 422,
  PASSWORD_TOO_LONG: 422,
  INVALID_PASSWORD: 400,
  INVALID_TTL: 400,
  INVALID_ARGUMENT: 400,
  SESSION_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
};

export type Rpc =
  | 'Login'
  | 'Logout'
  | 'ResetPassword'
  | 'ValidateToken'
  | 'CreateUser'
  | 'SetPassword'
  | 'ChangePassword'
  | 'ListSessions'
  | 'RevokeSession'
  | 'RequestEmailVerification'
  | 'ConfirmEmail';

/**
 * The codes each use case can answer, whatever its input (TOO_MANY_ATTEMPTS is Login's throttle and
 * CreateUser's sign-up limit; SIGNUP_CLOSED needs SIGNUP=closed).
 */
export const CODES_OF: Record<Rpc, readonly ContractCode[]> = {
  Login: ['USERNAME_EMAIL_REQUIRED', 'INVALID_EMAIL', 'PASSWORD_REQUIRED', 'LOGIN_FAILED', 'TOO_MANY_ATTEMPTS', 'INVALID_TTL', 'INVALID_ARGUMENT'],
  Logout: ['INVALID_TOKEN'],
  ResetPassword: ['INVALID_EMAIL', 'INVALID_ARGUMENT'],
  // Unknown, malformed or revoked tokens are `active: false`, never INVALID_TOKEN.
  ValidateToken: ['INVALID_ARGUMENT'],
  CreateUser: ['SIGNUP_CLOSED', 'INVALID_EMAIL', 'INVALID_ARGUMENT', 'PASSWORD_REQUIRED', 'PASSWORD_TOO_SHORT', 'PASSWORD_TOO_LONG', 'TOO_MANY_ATTEMPTS', 'EMAIL_EXISTS', 'USERNAME_EXISTS'],
  SetPassword: ['PASSWORD_REQUIRED', 'PASSWORD_TOO_SHORT', 'PASSWORD_TOO_LONG', 'INVALID_TOKEN'],
  ChangePassword: ['INVALID_TOKEN', 'PASSWORD_REQUIRED', 'PASSWORD_TOO_SHORT', 'PASSWORD_TOO_LONG', 'INVALID_PASSWORD'],
  ListSessions: ['INVALID_TOKEN'],
  RevokeSession: ['INVALID_TOKEN', 'INVALID_ARGUMENT', 'SESSION_NOT_FOUND'],
  RequestEmailVerification: ['INVALID_EMAIL', 'INVALID_ARGUMENT'],
  ConfirmEmail: ['INVALID_ARGUMENT', 'INVALID_TOKEN'],
};

// ---------------------------------------------------------------------------------------------
// REST: a raw HTTP client (exact bytes, any Content-Type, repeated query parameters) and its checks.

export interface RestRoute {
  path: string;
  rpc: Rpc;
  /** What a success answers. */
  success: 200 | 204;
}

export const REST_ROUTES: readonly RestRoute[] = [
  { path: '/api/users/login', rpc: 'Login', success: 200 },
  { path: '/api/users/logout', rpc: 'Logout', success: 204 },
  { path: '/api/users/reset', rpc: 'ResetPassword', success: 204 },
  { path: '/api/users/reset-password', rpc: 'SetPassword', success: 204 },
  { path: '/api/users/change-password', rpc: 'ChangePassword', success: 204 },
  { path: '/api/users', rpc: 'CreateUser', success: 200 },
  { path: '/api/tokens/validate', rpc: 'ValidateToken', success: 200 },
];

export interface HttpRequest {
  method?: string;
  /** Path with its query string, sent as is (percent-encoding is the caller's). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
  ms: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** Bodies larger than this go out only if the server has not already refused them (see sendHttp). */
const EARLY_ANSWER_BYTES = 64 * 1024;

/**
 * One request with node:http, so that the bytes on the wire are exactly ours; rejects after HANG_MS.
 * A large body waits briefly after the headers: the server refuses an oversized Content-Length at
 * once (413, then closes), and a client still writing megabytes would lose that answer to EPIPE.
 */
export function sendHttp(baseUrl: string, req: HttpRequest): Promise<HttpAnswer> {
  const url = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers: Record<string, string | number> = { ...req.headers };
    if (body !== undefined) headers['content-length'] = body.length;
    let answered = false;
    const outgoing = httpRequest(
      { agent, host: url.hostname, port: url.port, method: req.method ?? 'POST', path: req.path, headers },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (err) => settle(() => reject(err)));
        response.on('end', () =>
          settle(() => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            if (/^application\/json/.test(String(response.headers['content-type'] ?? '')) && text !== '') json = JSON.parse(text);
            resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json, ms: performance.now() - started });
            // The body of an early answer was never sent: this connection cannot carry another request.
            if (!outgoing.writableFinished) outgoing.destroy();
          }),
        );
      },
    );
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`no answer within ${HANG_MS} ms: ${req.method ?? 'POST'} ${req.path.slice(0, 200)}`)));
      outgoing.destroy();
    }, HANG_MS);
    outgoing.on('error', (err: NodeJS.ErrnoException) => {
      // Writing into a connection the server closed after answering: the answer is what counts.
      if (answered && (err.code === 'EPIPE' || err.code === 'ECONNRESET')) return;
      settle(() => reject(err));
    });
    if (body === undefined || body.length <= EARLY_ANSWER_BYTES) {
      outgoing.end(body);
      return;
    }
    outgoing.flushHeaders();
    setTimeout(() => {
      if (!answered && !outgoing.destroyed) outgoing.end(body);
    }, 200);
  });
}

interface ErrorBody {
  statusCode: number;
  name: string;
  message: string;
  code: string;
}

const UNSAFE_MESSAGE = /\n|\bat .+:\d+|Mongo|bcrypt|\$2[aby]\$|Error:|TypeError|undefined|\[object/;

/**
 * Asserts that a REST answer is in the contract's table for `route`: the success status, or an error in
 * LoopBack's shape whose code is one the use case (or the HTTP layer) can answer, with the status
 * the table gives that code. Returns the code, or undefined on success.
 */
export function checkRestAnswer(route: RestRoute, answer: HttpAnswer, context: string): string | undefined {
  const where = `${route.path}: ${context}\n→ ${answer.status} ${answer.text.slice(0, 300)}`;
  assert.ok(answer.ms < HANG_MS, `answer took ${Math.round(answer.ms)} ms: ${where}`);
  if (answer.status < 400) {
    assert.equal(answer.status, route.success, where);
    if (route.success === 204) assert.equal(answer.text, '', where);
    else assert.equal(typeof answer.json, 'object', where);
    return undefined;
  }
  assert.match(String(answer.headers['content-type'] ?? ''), /^application\/json/, where);
  const body = answer.json as { error: ErrorBody };
  assert.deepEqual(Object.keys(body), ['error'], where);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'name', 'statusCode'], where);
  const { code, statusCode, name, message } = body.error;
  assert.equal(statusCode, answer.status, where);
  assert.equal(name, 'Error', where);
  // Besides the use case's codes: a body or query parameter of the wrong shape, and the HTTP layer's limits.
  const allowed = new Set<string>([...CODES_OF[route.rpc], 'INVALID_ARGUMENT', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']);
  assert.ok(allowed.has(code), `code ${code} is not one ${route.rpc} answers: ${where}`);
  assert.equal(answer.status, REST_STATUS_OF[code], `status of ${code}: ${where}`);
  assert.equal(typeof message, 'string', where);
  assert.doesNotMatch(message, UNSAFE_MESSAGE, `message leaks internals: ${where}`);
  if (code === 'TOO_MANY_ATTEMPTS') assert.match(String(answer.headers['retry-after']), /^[1-9][0-9]*$/, where);
  return code;
}

// ---------------------------------------------------------------------------------------------
// gRPC: a hand-made protobuf encoder and a client that sends raw bytes, plus the answer checks.

/** A protobuf wire field: the encoder writes whatever it is given, valid for the schema or not. */
export type WireField =
  | { no: number; kind: 'varint'; value: bigint }
  | { no: number; kind: 'bytes'; value: Uint8Array }
  | { no: number; kind: 'fixed64'; value: bigint }
  | { no: number; kind: 'fixed32'; value: number };

function varint(value: bigint): Buffer {
  let v = BigInt.asUintN(64, value); // negative int64 values are ten bytes of two's complement, as protobuf has it
  const bytes: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v !== 0n);
  return Buffer.from(bytes);
}

export function encodeMessage(fields: readonly WireField[]): Buffer {
  return Buffer.concat(
    fields.map((field) => {
      switch (field.kind) {
        case 'varint':
          return Buffer.concat([varint(BigInt(field.no << 3)), varint(field.value)]);
        case 'bytes':
          return Buffer.concat([varint(BigInt((field.no << 3) | 2)), varint(BigInt(field.value.length)), field.value]);
        case 'fixed64': {
          const payload = Buffer.alloc(8);
          payload.writeBigUInt64LE(BigInt.asUintN(64, field.value));
          return Buffer.concat([varint(BigInt((field.no << 3) | 1)), payload]);
        }
        case 'fixed32': {
          const payload = Buffer.alloc(4);
          payload.writeUInt32LE(field.value >>> 0);
          return Buffer.concat([varint(BigInt((field.no << 3) | 5)), payload]);
        }
      }
    }),
  );
}

/** A string field as protobuf writes it (UTF-8), or any bytes as the caller chose them. */
export const str = (no: number, value: string | Uint8Array): WireField => ({
  no,
  kind: 'bytes',
  value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
});
export const int = (no: number, value: bigint | number | boolean): WireField => ({ no, kind: 'varint', value: BigInt(value) });

/** The decoder of each RPC's response, to read what a success answered. */
export const RESPONSE_DECODERS: Record<Rpc, (bytes: Uint8Array) => unknown> = {
  Login: (b) => LoginResponse.decode(b),
  Logout: (b) => LogoutResponse.decode(b),
  ResetPassword: (b) => ResetPasswordResponse.decode(b),
  ValidateToken: (b) => ValidateTokenResponse.decode(b),
  CreateUser: (b) => CreateUserResponse.decode(b),
  SetPassword: (b) => SetPasswordResponse.decode(b),
  ChangePassword: (b) => ChangePasswordResponse.decode(b),
  ListSessions: (b) => ListSessionsResponse.decode(b),
  RevokeSession: (b) => RevokeSessionResponse.decode(b),
  RequestEmailVerification: (b) => RequestEmailVerificationResponse.decode(b),
  ConfirmEmail: (b) => ConfirmEmailResponse.decode(b),
};

export interface GrpcOutcome {
  err: ServiceError | null;
  /** The decoded response on success. */
  response: unknown;
  ms: number;
}

/** Sends the given bytes as the request of `rpc`: no encoder in the way, so invalid UTF-8 and broken framing reach the server. */
export class RawGrpcClient {
  private readonly client: Client;

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  call(rpc: Rpc, message: Buffer, authorization?: string): Promise<GrpcOutcome> {
    const metadata = new Metadata();
    if (authorization !== undefined) metadata.set('authorization', authorization);
    const started = performance.now();
    return new Promise((resolve) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(
        `/auth.v1.AuthService/${rpc}`,
        (request) => request,
        (response) => response,
        message,
        metadata,
        { deadline: new Date(Date.now() + HANG_MS) },
        (err, response) => {
          const ms = performance.now() - started;
          resolve({ err: err ?? null, response: err || !response ? undefined : RESPONSE_DECODERS[rpc](response), ms });
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** grpc-js refuses requests over REQUEST_MAX_BYTES (16 KiB by default) itself: RESOURCE_EXHAUSTED, without ErrorInfo. */
export const GRPC_MAX_MESSAGE_BYTES = 16 * 1024;

/**
 * Asserts that a gRPC outcome is in the contract's table for `rpc`: OK, or a status and ErrorInfo
 * reason (domain auth.v1) the use case can answer. `messageBytes` over the server's limit may
 * instead get grpc-js's own RESOURCE_EXHAUSTED. Returns the reason, or undefined on success.
 */
export function checkGrpcOutcome(rpc: Rpc, outcome: GrpcOutcome, messageBytes: number, context: string): string | undefined {
  const { err } = outcome;
  const where = `${rpc}(${context}) → ${err ? `${status[err.code]} ${err.details}` : 'OK'}`;
  assert.ok(err?.code !== status.DEADLINE_EXCEEDED && outcome.ms < HANG_MS, `no answer within ${HANG_MS} ms: ${where}`);
  if (!err) return undefined;
  if (messageBytes > GRPC_MAX_MESSAGE_BYTES && err.code === status.RESOURCE_EXHAUSTED && errorDetails(err).reason === undefined) {
    return 'MESSAGE_TOO_LARGE';
  }
  assert.ok(
    [status.INVALID_ARGUMENT, status.UNAUTHENTICATED, status.ALREADY_EXISTS, status.PERMISSION_DENIED, status.RESOURCE_EXHAUSTED, status.NOT_FOUND].includes(err.code),
    `status outside the table: ${where}`,
  );
  const { reason, domain } = errorDetails(err);
  assert.equal(domain, 'auth.v1', `no ErrorInfo: ${where}`);
  // Besides the use case's codes: a message that is not valid protobuf, whatever the RPC.
  const allowed: readonly string[] = [...CODES_OF[rpc], 'INVALID_ARGUMENT'];
  assert.ok(reason !== undefined && allowed.includes(reason), `reason ${reason} is not one ${rpc} answers: ${where}`);
  assert.equal(status[err.code], status[GRPC_STATUS_OF[reason as ContractCode]], `status of ${reason}: ${where}`);
  assert.doesNotMatch(err.details, UNSAFE_MESSAGE, `message leaks internals: ${where}`);
  return reason;
}

// ---------------------------------------------------------------------------------------------
// Liveness: the child is running and both ports answer their health checks.

interface HealthClient {
  check(request: { service: string }, options: { deadline: Date }, callback: (err: ServiceError | null, response: { status: string }) => void): void;
  close(): void;
}

export function grpcHealthClient(address: string): HealthClient {
  const definition = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, creds: ChannelCredentials) => HealthClient } } };
  };
  return new definition.grpc.health.v1.Health(address, credentials.createInsecure());
}

export async function assertAlive(server: ServerProcess, health: HealthClient, context: string): Promise<void> {
  assert.equal(server.child.exitCode, null, `server exited after ${context}:\n${server.output.slice(-20).join('\n')}`);
  assert.equal(server.child.signalCode, null, `server was killed after ${context}`);
  const http = await sendHttp(server.httpUrl, { method: 'GET', path: '/healthz' });
  assert.equal(http.status, 200, `/healthz after ${context}`);
  const grpc = await new Promise<string>((resolve, reject) =>
    health.check({ service: 'auth.v1.AuthService' }, { deadline: new Date(Date.now() + HANG_MS) }, (err, response) =>
      err ? reject(err) : resolve(response.status),
    ),
  );
  assert.equal(grpc, 'SERVING', `gRPC health after ${context}`);
}

/** Log lines at error level or above (pino: 50): every INTERNAL is logged as one. */
export function errorLogLines(server: ServerProcess): Array<Record<string, unknown>> {
  return server.logs().filter((line) => typeof line.level === 'number' && line.level >= 50);
}

// ---------------------------------------------------------------------------------------------
// Known accounts: made before the attack, checked after it. Their data looks adversarial on
// purpose ($ and . in values, where the field's rules allow them; a Unicode domain), so that a
// value that became an operator or a path would show.

export interface KnownUser {
  email: string;
  username: string;
  realm: string;
  password: string;
  id: string;
  token: string;
}

export const KNOWN_ACCOUNTS: ReadonlyArray<Pick<KnownUser, 'email' | 'username' | 'realm'>> = [
  { email: 'admin@example.com', username: 'admin', realm: '' },
  { email: '$where.x@example.com', username: 'root.user', realm: 'tenant.a' },
  { email: 'ünï@exämple.com', username: '', realm: 'realm-u' },
];

export async function createKnownUsers(address: string): Promise<KnownUser[]> {
  const client = connect(address);
  try {
    const known: KnownUser[] = [];
    for (const account of KNOWN_ACCOUNTS) {
      // Random, so that no fuzz input can hold it.
      const password = `known-${randomBytes(12).toString('base64url')}`;
      const { user } = await client.createUser({ ...account, password });
      const { accessToken } = await client.login({ email: account.email, username: '', password, realm: account.realm, ttlSeconds: 0, includeUser: false });
      assert.ok(user && accessToken);
      // The email as stored (normalized: the domain in its IDNA ASCII form), which answers must show.
      known.push({ ...account, email: user.email, password, id: user.id, token: accessToken.id });
    }
    return known;
  } finally {
    client.close();
  }
}

/** After the attack: every known user still logs in with its password, by email and by username, and every known token is still its user's. */
export async function assertKnownUsersIntact(address: string, known: readonly KnownUser[]): Promise<void> {
  const client: AuthClient = connect(address);
  try {
    for (const user of known) {
      const byEmail = await client.login({ email: user.email, username: '', password: user.password, realm: user.realm, ttlSeconds: 0, includeUser: true });
      assert.equal(byEmail.accessToken?.userId, user.id, `${user.email} logs in as itself`);
      assert.equal(byEmail.user?.email, user.email);
      assert.equal(byEmail.user?.username ?? '', user.username);
      if (user.username) {
        const byName = await client.login({ email: '', username: user.username, password: user.password, realm: user.realm, ttlSeconds: 0, includeUser: false });
        assert.equal(byName.accessToken?.userId, user.id, `${user.username} logs in as itself`);
      }
      const validation = await client.validateToken({ accessToken: user.token, requiredScopes: [], includeUser: false });
      assert.equal(validation.active, true, `the token of ${user.email} is still active`);
      assert.equal(validation.userId, user.id);
      assert.equal(validation.realm, user.realm);
    }
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// MongoDB: the documents themselves, before and after.

export interface MongoSnapshot {
  users: Map<string, unknown>;
  tokens: Map<string, unknown>;
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** The known users' and known tokens' documents as stored. */
export async function snapshotKnown(mongo: { uri: string; dbName: string }, known: readonly KnownUser[]): Promise<MongoSnapshot> {
  const client = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 5000 });
  try {
    const db = client.db(mongo.dbName);
    const users = new Map<string, unknown>();
    const tokens = new Map<string, unknown>();
    for (const user of known) {
      users.set(user.id, await db.collection('users').findOne({ _id: user.id as never }));
      // Using a token records its use: everything else of it must stay as it was.
      tokens.set(user.id, await db.collection('accessTokens').findOne({ _id: tokenHash(user.token) as never }, { projection: { lastUsed: 0 } }));
    }
    return { users, tokens };
  } finally {
    await client.close();
  }
}

const USER_FIELDS = new Set(['_id', 'realm', 'email', 'username', 'usernameKey', 'passwordHash', 'passwordChangedAt', 'emailVerified', 'disabled', 'created']);
const TOKEN_FIELDS = new Set(['_id', 'sessionId', 'userId', 'realm', 'scopes', 'created', 'ttlSeconds', 'expiresAt', 'lastUsed', 'userAgent', 'address']);

/**
 * Every stored user and token has exactly the service's fields with the service's types: no
 * request value became a field name, an operator or a nested document.
 */
export async function assertDocumentsWellFormed(mongo: { uri: string; dbName: string }): Promise<{ users: number; tokens: number }> {
  const client = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 5000 });
  try {
    const db = client.db(mongo.dbName);
    const users = await db.collection('users').find({}).toArray();
    for (const doc of users) {
      const where = JSON.stringify(doc).slice(0, 300);
      assert.deepEqual(Object.keys(doc).filter((key) => !USER_FIELDS.has(key)), [], `unexpected user field: ${where}`);
      for (const key of ['_id', 'realm', 'email', 'usernameKey']) assert.equal(typeof doc[key], 'string', `${key}: ${where}`);
      // Absent only for an account made by an external login.
      for (const key of ['username', 'passwordHash']) if (key in doc) assert.equal(typeof doc[key], 'string', `${key}: ${where}`);
      if ('passwordChangedAt' in doc) assert.ok(doc.passwordChangedAt instanceof Date, where);
      assert.equal(typeof doc.emailVerified, 'boolean', where);
      assert.equal(typeof doc.disabled, 'boolean', where);
      assert.ok(doc.created instanceof Date, where);
    }
    const tokens = await db.collection('accessTokens').find({}).toArray();
    for (const doc of tokens) {
      const where = JSON.stringify(doc).slice(0, 300);
      assert.deepEqual(Object.keys(doc).filter((key) => !TOKEN_FIELDS.has(key)), [], `unexpected token field: ${where}`);
      assert.match(String(doc._id), /^[0-9a-f]{64}$/, `token ids are hashes: ${where}`);
      assert.equal(typeof doc.userId, 'string', where);
      assert.match(String(doc.sessionId), /^[0-9a-f]{32}$/, where);
      assert.ok(doc.lastUsed instanceof Date, where);
      for (const key of ['userAgent', 'address']) if (key in doc) assert.equal(typeof doc[key], 'string', `${key}: ${where}`);
      assert.ok(Array.isArray(doc.scopes) && doc.scopes.every((scope: unknown) => typeof scope === 'string'), where);
    }
    return { users: users.length, tokens: tokens.length };
  } finally {
    await client.close();
  }
}

/** Secrets that must never appear in the server's output. */
export function assertNoSecretsInOutput(server: ServerProcess, known: readonly KnownUser[]): void {
  const output = server.output.join('\n');
  for (const user of known) {
    assert.equal(output.includes(user.password), false, `the password of ${user.email} reached the log`);
    assert.equal(output.includes(user.token), false, `the token of ${user.email} reached the log`);
  }
  assert.doesNotMatch(output, /\$2[aby]\$\d\d\$/, 'a bcrypt hash reached the log');
}
