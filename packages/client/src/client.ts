import { Client, credentials, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { parseAuthorization } from './bearer.js';
import { AuthCallError } from './call-error.js';
import { AuthServiceDefinition, type DeepPartial, type MessageFns } from './gen/auth/v1/auth.js';
import { serviceConfig } from './service-config.js';
import { tokenChecker, type AuthContext, type CacheOptions } from './token-check.js';

type Methods = typeof AuthServiceDefinition.methods;
type MethodName = keyof Methods;
type MessageOf<F> = F extends MessageFns<infer T> ? T : never;

export interface CallOptions {
  /** This call's deadline, retries included; the client's deadlineMs when unset. */
  deadlineMs?: number;
  /** Sent as the `authorization` metadata, which the service reads where a request field may be empty. */
  authorization?: string;
}

/** Every RPC of auth.v1.AuthService as a promise of its response, generated from the proto. */
export type AuthRpcs = {
  [M in MethodName]: (request: DeepPartial<MessageOf<Methods[M]['requestType']>>, options?: CallOptions) => Promise<MessageOf<Methods[M]['responseType']>>;
};

/** Why a request is refused, or who made it. */
export type Verdict =
  | { ok: true; auth: AuthContext }
  | { ok: false; reason: 'missing-token' | 'invalid-token' }
  | { ok: false; reason: 'insufficient-scope'; missingScopes: string[] }
  /** The service could not answer (down, too slow, failing): the request is refused, never let through. */
  | { ok: false; reason: 'unavailable'; error: AuthCallError | Error };

export interface TlsOptions {
  /** PEM of the CA that signed the service's certificate; the system's roots when unset. */
  ca?: string | Buffer;
  /** PEM certificate and key of this client, for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface AuthClientOptions {
  /** The service's gRPC target: `host:port`, or any grpc-js target such as `dns:///auth-service:50051`. */
  address: string;
  /** TLS to the service: true for the system's roots, or PEM contents. Plaintext when unset. */
  tls?: boolean | TlsOptions;
  /** Deadline of every call, retries included. */
  deadlineMs: number;
  /** Reuse positive token checks for a while; off when unset. */
  cache?: CacheOptions;
}

export interface AuthClient {
  rpc: AuthRpcs;
  /**
   * Checks the `authorization` header or metadata value of a request: the token must be active
   * and hold every required scope. Never rejects. The interceptor and middleware are built on it.
   */
  authorize(authorization: string | readonly string[] | undefined, requiredScopes?: readonly string[]): Promise<Verdict>;
  /** Closes the channel; calls made afterwards fail. */
  close(): void;
}

/** Keepalive pings find a dead connection (a replica gone without closing it) before a call waits on it. */
const KEEPALIVE = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
};

function channelCredentials(tls: AuthClientOptions['tls']): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  if (tls === true) return credentials.createSsl();
  const pem = (value: string | Buffer | undefined) => (value === undefined ? null : Buffer.from(value));
  return credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert));
}

function checkOptions(options: AuthClientOptions): void {
  const positive = (value: unknown, name: string) => {
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new TypeError(`${name} must be a positive number of milliseconds`);
  };
  if (typeof options.address !== 'string' || options.address === '') throw new TypeError('address is required');
  positive(options.deadlineMs, 'deadlineMs');
  if (options.cache) {
    positive(options.cache.ttlMs, 'cache.ttlMs');
    const { maxEntries } = options.cache;
    if (maxEntries !== undefined && !(Number.isInteger(maxEntries) && maxEntries > 0)) throw new TypeError('cache.maxEntries must be a positive integer');
  }
}

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A client of the auth service over one channel, which every call and check shares. */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  checkOptions(options);
  const channel = new Client(options.address, channelCredentials(options.tls), { 'grpc.service_config': serviceConfig(), ...KEEPALIVE });

  const unary = <Req, Res>(name: string, requestType: MessageFns<Req>, responseType: MessageFns<Res>) =>
    (request: DeepPartial<Req>, callOptions: CallOptions = {}): Promise<Res> => {
      const metadata = new Metadata();
      if (callOptions.authorization) metadata.set('authorization', callOptions.authorization);
      const deadline = Date.now() + (callOptions.deadlineMs ?? options.deadlineMs);
      return new Promise((resolve, reject) => {
        channel.makeUnaryRequest(
          `/${AuthServiceDefinition.fullName}/${name}`,
          (message: Req) => toBuffer(requestType.encode(message).finish()),
          (bytes: Buffer) => responseType.decode(bytes),
          requestType.fromPartial(request),
          metadata,
          { deadline },
          (err: ServiceError | null, response?: Res) => (err || !response ? reject(err ? new AuthCallError(err) : new Error(`${name}: empty response`)) : resolve(response)),
        );
      });
    };

  // Built from the same definition AuthRpcs is typed from, so every key and type lines up.
  const rpc = Object.fromEntries(
    Object.entries(AuthServiceDefinition.methods).map(([key, method]) => [
      key,
      unary(method.name, method.requestType as MessageFns<unknown>, method.responseType as MessageFns<unknown>),
    ]),
  ) as unknown as AuthRpcs;

  const check = tokenChecker((accessToken, requiredScopes) => rpc.validateToken({ accessToken, requiredScopes: [...requiredScopes] }), options.cache);

  /** The verdict when no call is needed (no token, a malformed one, a cached answer), else a promise of it. */
  const verdictOf: VerdictOf = (authorization, requiredScopes = []) => {
    const parsed = parseAuthorization(authorization);
    if (parsed.kind === 'missing') return MISSING;
    if (parsed.kind === 'malformed') return INVALID;
    const answer = check(parsed.token, requiredScopes);
    return answer instanceof Promise ? settle(parsed.token, answer, requiredScopes) : grant(answer, requiredScopes);
  };
  const settle = async (token: string, answer: Promise<AuthContext | undefined>, requiredScopes: readonly string[]): Promise<Verdict> => {
    try {
      const auth = await answer;
      if (auth) return grant(auth, requiredScopes);
      if (requiredScopes.length === 0) return INVALID;
      // The service calls a token inactive when its scopes differ from those named; asked again
      // without them, a good token shows that it only lacks a scope (403, not 401).
      const unscoped = await check(token, []);
      return unscoped ? grant(unscoped, requiredScopes) : INVALID;
    } catch (err) {
      return { ok: false, reason: 'unavailable', error: err instanceof Error ? err : new Error(String(err)) };
    }
  };

  const client: AuthClient = {
    rpc,
    authorize: async (authorization, requiredScopes) => verdictOf(authorization, requiredScopes),
    close: () => channel.close(),
  };
  verdicts.set(client, verdictOf);
  return client;
}

type VerdictOf = (authorization: string | readonly string[] | undefined, requiredScopes?: readonly string[]) => Verdict | Promise<Verdict>;

const MISSING: Verdict = Object.freeze({ ok: false, reason: 'missing-token' });
const INVALID: Verdict = Object.freeze({ ok: false, reason: 'invalid-token' });

function grant(auth: AuthContext, requiredScopes: readonly string[]): Verdict {
  const missingScopes = requiredScopes.filter((scope) => !auth.scopes.includes(scope));
  return missingScopes.length > 0 ? { ok: false, reason: 'insufficient-scope', missingScopes } : { ok: true, auth };
}

/** The clients createAuthClient made, with their synchronous-when-possible check. */
const verdicts = new WeakMap<AuthClient, VerdictOf>();

/**
 * Hands `decide` the verdict on a request: at once when no call is needed, else when the call
 * ends. What the interceptor and middleware use, so that a cached answer costs no promise.
 */
export function whenDecided(client: AuthClient, authorization: string | readonly string[] | undefined, requiredScopes: readonly string[], decide: (verdict: Verdict) => void): void {
  const verdict = verdicts.get(client)?.(authorization, requiredScopes) ?? client.authorize(authorization, requiredScopes);
  if (verdict instanceof Promise) void verdict.then(decide);
  else decide(verdict);
}
