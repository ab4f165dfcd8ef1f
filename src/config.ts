import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { loadIdentityProviders, ProvidersFileError, type IdentityProvidersSettings } from './identity-providers-config.js';
import type { TlsMaterial } from './transport/endpoint.js';

const port = z.coerce.number().int().min(0).max(65535);
const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
const positiveInt = z.coerce.number().int().positive();
/** A duration in milliseconds where 0 turns the limit off. */
const msOrOff = z.coerce.number().int().min(0);
const optionalString = z.string().min(1).optional();
/** An HTTP header name (RFC 9110 token), kept in lower case as Envoy and Node hand them over. */
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not an HTTP header name')
  .transform((name) => name.toLowerCase());
/** Headers that carry the request itself or its credentials: never a user header. */
const RESERVED_HEADERS = new Set(['authorization', 'cookie', 'host', 'content-length', 'content-type', 'connection', 'transfer-encoding', 'te', 'upgrade']);
/** Twice the minute within which a token's last use is recorded. */
const MIN_IDLE_TIMEOUT_SECONDS = 120;

const schema = z
  .object({
    NODE_ENV: z.string().default('development'),
    GRPC_PORT: port.default(50051),
    HTTP_PORT: port.default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .optional(),
    MONGODB_DB: z.string().regex(/^[^/\\. "$*<>:|?]{1,63}$/, 'is not a valid database name').default('auth'),
    BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(10),
    /** Password checks that may wait for a hashing thread; beyond, calls are refused with a retry delay. */
    HASH_QUEUE_MAX: positiveInt.default(256),
    TOKEN_DEFAULT_TTL: positiveInt.default(1209600),
    TOKEN_MAX_TTL: positiveInt.default(31556926),
    ALLOW_ETERNAL_TOKENS: boolean.default(false),
    RESET_TOKEN_TTL: positiveInt.default(900),
    /** Login refuses unverified emails (LOGIN_FAILED_EMAIL_NOT_VERIFIED); CreateUser sends a verification token. */
    EMAIL_VERIFICATION_REQUIRED: boolean.default(false),
    EMAIL_VERIFICATION_TTL: positiveInt.default(86400),
    /** Origins (scheme://host[:port]) that GET /api/users/confirm may redirect to, besides paths on the gateway itself. */
    EMAIL_VERIFICATION_REDIRECT_ORIGINS: z
      .string()
      .optional()
      .transform((value, ctx) => {
        const origins = (value ?? '').split(',').map((origin) => origin.trim()).filter((origin) => origin !== '');
        for (const origin of origins) {
          if (!/^https?:\/\/[^/?#\s]+$/.test(origin) || new URL(origin).origin !== origin) {
            ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of origins such as https://app.example.com' });
          }
        }
        return origins;
      }),
    RESET_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
    RESET_WEBHOOK_SECRET: optionalString,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10000),
    TLS_CERT_FILE: optionalString,
    TLS_KEY_FILE: optionalString,
    TLS_CLIENT_CA_FILE: optionalString,
    /** The admin gRPC port (AdminService); unset: no admin service at all. */
    ADMIN_GRPC_PORT: port.optional(),
    /** The CA that signs admin clients' certificates; by default TLS_CLIENT_CA_FILE's. */
    ADMIN_TLS_CLIENT_CA_FILE: optionalString,
    /** First lock after LOGIN_MAX_FAILURES consecutive failures; doubles with each further one. */
    LOGIN_MAX_FAILURES: positiveInt.default(5),
    LOGIN_LOCK_BASE_MS: positiveInt.default(1000),
    LOGIN_LOCK_MAX_MS: positiveInt.default(900000),
    RESET_MAX_PER_WINDOW: positiveInt.default(3),
    RESET_WINDOW_SECONDS: positiveInt.default(900),
    /** closed: CreateUser is refused with SIGNUP_CLOSED. */
    SIGNUP: z.enum(['open', 'closed']).default('open'),
    SIGNUP_MAX_PER_WINDOW: positiveInt.default(10),
    SIGNUP_WINDOW_SECONDS: positiveInt.default(3600),
    /** Tokens one user may hold at once; logging in beyond it revokes the oldest. */
    MAX_SESSIONS_PER_USER: positiveInt.default(100),
    /** How often expired tokens and attempts are swept: always on the embedded store, on MongoDB where TTL indexes are refused. */
    SWEEP_INTERVAL_MS: positiveInt.default(60000),
    /** 0: off. Otherwise a token revoked on another replica stays valid here for at most this long. */
    TOKEN_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60000).default(0),
    TOKEN_CACHE_MAX_ENTRIES: positiveInt.default(100000),
    /** Largest gRPC message and REST body accepted; requests are a few short fields. */
    REQUEST_MAX_BYTES: z.coerce.number().int().min(1024).max(4 * 1024 * 1024).default(16384),
    /** What one client may hold on the gRPC port (docs/contract.md, Limits). */
    GRPC_MAX_CONCURRENT_STREAMS: positiveInt.default(100),
    GRPC_MAX_SESSION_MEMORY_MB: positiveInt.default(10),
    GRPC_KEEPALIVE_TIME_MS: msOrOff.default(60000),
    GRPC_KEEPALIVE_TIMEOUT_MS: positiveInt.default(20000),
    GRPC_MAX_CONNECTION_IDLE_MS: msOrOff.default(300000),
    GRPC_MAX_CONNECTION_AGE_MS: msOrOff.default(1800000),
    GRPC_MAX_CONNECTION_AGE_GRACE_MS: z.coerce.number().int().min(0).default(30000),
    /** What one client may hold on the REST port. */
    HTTP_HEADERS_TIMEOUT_MS: positiveInt.default(10000),
    HTTP_REQUEST_TIMEOUT_MS: positiveInt.default(15000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt.default(72000),
    HTTP_MAX_CONNECTIONS: positiveInt.default(1000),
    /** Gateways (Envoy ext_authz, forward auth): another header, and a cookie, that may carry the token besides Authorization. */
    AUTHZ_TOKEN_HEADER: headerName.optional(),
    AUTHZ_TOKEN_COOKIE: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a cookie name').optional(),
    /** The headers that tell the upstream who called; the client's own copies are removed. */
    AUTHZ_USER_ID_HEADER: headerName.default('x-auth-user-id'),
    AUTHZ_REALM_HEADER: headerName.default('x-auth-realm'),
    AUTHZ_SCOPES_HEADER: headerName.default('x-auth-scopes'),
    /** Envoy ext_authz: remove Authorization before the request goes upstream. */
    AUTHZ_REMOVE_AUTHORIZATION: boolean.default(false),
    /** RFC 7662 introspection callers: `client_id:bcrypt hash` lines. */
    INTROSPECTION_CLIENTS_FILE: optionalString,
    /** RFC 8414 issuer; unset: the scheme and Host of each metadata request. */
    OAUTH_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
    /** JSON file of the external identity providers (Google, GitHub, any OpenID Connect provider); unset: none. */
    IDENTITY_PROVIDERS_FILE: optionalString,
    /** The REST gateway's address as browsers reach it; the REST login flow's callback is PUBLIC_URL/auth/{provider}/callback. */
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** Longest wait for an identity provider's answer (discovery, keys, code exchange, userinfo). */
    IDENTITY_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
    /** 0: off. Otherwise a session unused for this many seconds is inactive. */
    TOKEN_IDLE_TIMEOUT: z.coerce.number().int().min(0).default(0),
  })
  .superRefine((env, ctx) => {
    const production = env.NODE_ENV === 'production';
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (production && env.BCRYPT_COST < 10) fail('BCRYPT_COST', 'must be at least 10 in production');
    if (env.BCRYPT_COST < 10 && env.NODE_ENV !== 'test' && !production) {
      // Low costs exist for tests only; a developer box still gets the real cost unless it asks for test mode.
      fail('BCRYPT_COST', 'must be at least 10 unless NODE_ENV=test');
    }
    if (env.TOKEN_IDLE_TIMEOUT > 0 && env.TOKEN_IDLE_TIMEOUT < MIN_IDLE_TIMEOUT_SECONDS && env.NODE_ENV !== 'test') {
      // Last use is written once a minute: a shorter timeout would end sessions in use.
      fail('TOKEN_IDLE_TIMEOUT', `must be 0 (off) or at least ${MIN_IDLE_TIMEOUT_SECONDS} unless NODE_ENV=test`);
    }
    if (env.TOKEN_DEFAULT_TTL > env.TOKEN_MAX_TTL) fail('TOKEN_DEFAULT_TTL', 'must not exceed TOKEN_MAX_TTL');
    if (production && !env.MONGODB_URI) {
      fail('MONGODB_URI', 'is required in production (the in-memory store loses data on restart)');
    }
    if (production && !env.RESET_WEBHOOK_URL) {
      fail('RESET_WEBHOOK_URL', 'is required in production (reset tokens are otherwise only logged)');
    }
    if (env.RESET_WEBHOOK_URL && !env.RESET_WEBHOOK_SECRET) {
      fail('RESET_WEBHOOK_SECRET', 'is required when RESET_WEBHOOK_URL is set');
    }
    if (Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE)) {
      fail(env.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE', 'TLS_CERT_FILE and TLS_KEY_FILE go together');
    }
    if (env.TLS_CLIENT_CA_FILE && !env.TLS_CERT_FILE) fail('TLS_CLIENT_CA_FILE', 'needs TLS_CERT_FILE and TLS_KEY_FILE');
    // Node refuses a headers timeout longer than the whole request's.
    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) fail('HTTP_HEADERS_TIMEOUT_MS', 'must not exceed HTTP_REQUEST_TIMEOUT_MS');
    const userHeaders = { AUTHZ_USER_ID_HEADER: env.AUTHZ_USER_ID_HEADER, AUTHZ_REALM_HEADER: env.AUTHZ_REALM_HEADER, AUTHZ_SCOPES_HEADER: env.AUTHZ_SCOPES_HEADER };
    const seen = new Set<string>();
    for (const [variable, name] of Object.entries(userHeaders)) {
      if (RESERVED_HEADERS.has(name) || name === env.AUTHZ_TOKEN_HEADER || seen.has(name)) {
        fail(variable, 'must name a header of its own (not Authorization, Cookie, Host, the token header or another user header)');
      }
      seen.add(name);
    }
    if (env.AUTHZ_TOKEN_HEADER && RESERVED_HEADERS.has(env.AUTHZ_TOKEN_HEADER)) fail('AUTHZ_TOKEN_HEADER', 'must not be a standard header (Authorization is always read)');
    if (env.OAUTH_ISSUER && /[?#]/.test(env.OAUTH_ISSUER)) fail('OAUTH_ISSUER', 'must have no query or fragment (RFC 8414)');
    if (env.ADMIN_TLS_CLIENT_CA_FILE && !env.TLS_CERT_FILE) fail('ADMIN_TLS_CLIENT_CA_FILE', 'needs TLS_CERT_FILE and TLS_KEY_FILE');
    if (env.ADMIN_GRPC_PORT !== undefined) {
      if (env.ADMIN_GRPC_PORT !== 0 && (env.ADMIN_GRPC_PORT === env.GRPC_PORT || env.ADMIN_GRPC_PORT === env.HTTP_PORT)) {
        fail('ADMIN_GRPC_PORT', 'must differ from GRPC_PORT and HTTP_PORT: the admin service is never served on a public port');
      }
      if (env.TLS_CERT_FILE && !env.ADMIN_TLS_CLIENT_CA_FILE && !env.TLS_CLIENT_CA_FILE) {
        fail('ADMIN_TLS_CLIENT_CA_FILE', 'is required with TLS and ADMIN_GRPC_PORT: the admin port takes only clients with certificates');
      }
    }
  });

export type Config = z.infer<typeof schema> & {
  /** From IDENTITY_PROVIDERS_FILE; undefined when it is not set. */
  identityProviders: IdentityProvidersSettings | undefined;
};

/** Thrown for a bad environment; its message is the lines to print, one per problem. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads and checks the environment; empty variables count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = issue?.path.join('.') ?? 'environment';
    // Never echo the value: MONGODB_URI and secrets may be in it.
    throw new ConfigError(`invalid configuration: ${variable} ${issue?.message ?? 'is invalid'}`);
  }
  const config = result.data;
  try {
    const identityProviders =
      config.IDENTITY_PROVIDERS_FILE === undefined
        ? undefined
        : loadIdentityProviders(config.IDENTITY_PROVIDERS_FILE, {
            env: present,
            production: config.NODE_ENV === 'production',
            publicUrl: config.PUBLIC_URL,
          });
    return { ...config, identityProviders };
  } catch (err) {
    if (!(err instanceof ProvidersFileError)) throw err;
    throw new ConfigError(err.lines.map((line) => `invalid configuration: ${line}`).join('\n'));
  }
}

/** The admin port's TLS: the server's certificate, and client certificates always required when there is TLS. */
export function readAdminTlsMaterial(config: Config): TlsMaterial | undefined {
  const tls = readTlsMaterial(config);
  if (!tls) return undefined;
  const clientCaFile = config.ADMIN_TLS_CLIENT_CA_FILE ?? config.TLS_CLIENT_CA_FILE;
  if (!clientCaFile) throw new ConfigError('invalid configuration: ADMIN_TLS_CLIENT_CA_FILE is required with TLS and ADMIN_GRPC_PORT');
  return { ...tls, clientCa: readFileSync(clientCaFile) };
}

/** TLS_* apply to both public ports; the files are read once, at start. */
export function readTlsMaterial(config: Config): TlsMaterial | undefined {
  if (!config.TLS_CERT_FILE || !config.TLS_KEY_FILE) return undefined;
  return {
    cert: readFileSync(config.TLS_CERT_FILE),
    key: readFileSync(config.TLS_KEY_FILE),
    clientCa: config.TLS_CLIENT_CA_FILE ? readFileSync(config.TLS_CLIENT_CA_FILE) : undefined,
  };
}
