import { readFileSync } from 'node:fs';
import { createBcryptHasher } from './adapters/bcrypt-hasher.js';
import { createClientAuthenticator, parseClientSecrets } from './adapters/introspection-clients.js';
import { createIdentityProviders } from './adapters/identity-providers/index.js';
import { createLogNotifier, createWebhookNotifier } from './adapters/notifiers.js';
import { ConfigError, readAdminTlsMaterial, readTlsMaterial, type Config } from './config.js';
import { restCallbackUrl } from './identity-providers-config.js';
import { createAdminCore, createAuthCore, type AuthCore } from './core/auth-core.js';
import type { AuthPolicy, CoreContext } from './core/context.js';
import { noIdentityProviders, type IdentityProviders, type Notifier, type PasswordHasher } from './core/ports.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { createMemoryStorage } from './storage/memory.js';
import type { Patience } from './storage/mongo.js';
import type { Storage } from './storage/storage.js';
import { CachingTokenStore } from './storage/tokens/cache.js';
import { CoalescedLastUse } from './storage/tokens/last-use.js';
import type { TokenStore } from './storage/tokens/port.js';
import { forwardAuthRoutes } from './transport/forward-auth/routes.js';
import type { GatewaySettings } from './transport/gateway/settings.js';
import { adminGrpcService } from './transport/grpc/admin-handlers.js';
import { extAuthzGrpcService } from './transport/grpc/ext-authz.js';
import { authGrpcService } from './transport/grpc/handlers.js';
import { createGrpcServer } from './transport/grpc/server.js';
import type { GrpcLimits } from './transport/grpc/limits.js';
import type { HttpLimits } from './transport/http/limits.js';
import { externalLoginRoutes, type ExternalLoginSettings } from './transport/http/external-routes.js';
import { createHttpServer, type HttpRoutes } from './transport/http/server.js';
import type { ClientAuthenticator } from './transport/introspection/client-auth.js';
import { introspectionRoutes } from './transport/introspection/routes.js';

/** How often the database is pinged to drive health and readiness. */
const HEALTH_INTERVAL_MS = 1000;
/** A token's last use is written at most this often (per replica): config.ts bounds TOKEN_IDLE_TIMEOUT by it. */
const LAST_USE_WINDOW_MS = 60_000;
/** Tokens whose last write the coalescing remembers: beyond, the least recently written may be written again within the minute. */
const LAST_USE_MAX_ENTRIES = 100_000;

export interface RunningApp {
  grpcPort: number;
  /** undefined when HTTP_PORT=0 disables REST. */
  httpPort: number | undefined;
  /** undefined unless ADMIN_GRPC_PORT is set. */
  adminPort: number | undefined;
  /** Whether the database answers and the process is not shutting down. */
  isReady(): boolean;
  /** Drains and stops; resolves when everything is closed. */
  stop(): Promise<void>;
}

export function policyFrom(config: Config): AuthPolicy {
  return {
    defaultTtlSeconds: config.TOKEN_DEFAULT_TTL,
    maxTtlSeconds: config.TOKEN_MAX_TTL,
    allowEternalTokens: config.ALLOW_ETERNAL_TOKENS,
    resetTokenTtlSeconds: config.RESET_TOKEN_TTL,
    emailVerificationRequired: config.EMAIL_VERIFICATION_REQUIRED,
    verificationTokenTtlSeconds: config.EMAIL_VERIFICATION_TTL,
    loginMaxFailures: config.LOGIN_MAX_FAILURES,
    loginLockBaseMs: config.LOGIN_LOCK_BASE_MS,
    loginLockMaxMs: config.LOGIN_LOCK_MAX_MS,
    resetMaxPerWindow: config.RESET_MAX_PER_WINDOW,
    resetWindowMs: config.RESET_WINDOW_SECONDS * 1000,
    idleTimeoutSeconds: config.TOKEN_IDLE_TIMEOUT,
    maxSessionsPerUser: config.MAX_SESSIONS_PER_USER,
    signupOpen: config.SIGNUP === 'open',
    signupMaxPerWindow: config.SIGNUP_MAX_PER_WINDOW,
    signupWindowMs: config.SIGNUP_WINDOW_SECONDS * 1000,
  };
}

export function grpcLimitsFrom(config: Config): GrpcLimits {
  return {
    maxMessageBytes: config.REQUEST_MAX_BYTES,
    maxConcurrentStreams: config.GRPC_MAX_CONCURRENT_STREAMS,
    maxSessionMemoryMb: config.GRPC_MAX_SESSION_MEMORY_MB,
    keepaliveTimeMs: config.GRPC_KEEPALIVE_TIME_MS,
    keepaliveTimeoutMs: config.GRPC_KEEPALIVE_TIMEOUT_MS,
    maxConnectionIdleMs: config.GRPC_MAX_CONNECTION_IDLE_MS,
    maxConnectionAgeMs: config.GRPC_MAX_CONNECTION_AGE_MS,
    maxConnectionAgeGraceMs: config.GRPC_MAX_CONNECTION_AGE_GRACE_MS,
  };
}

export function httpLimitsFrom(config: Config): HttpLimits {
  return {
    maxBodyBytes: config.REQUEST_MAX_BYTES,
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: config.HTTP_MAX_CONNECTIONS,
  };
}

/**
 * The store the configuration names: MongoDB with MONGODB_URI, else the embedded one. The driver is
 * loaded only when used: it adds ~13 MiB to a process that does not need it.
 */
export async function createStorage(config: Config, logger: Logger, patience: Patience = 'calls'): Promise<Storage> {
  if (config.MONGODB_URI) {
    const { createMongoStorage } = await import('./storage/mongo.js');
    return createMongoStorage({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB, logger, sweepIntervalMs: config.SWEEP_INTERVAL_MS, patience });
  }
  logger.warn('MONGODB_URI is not set: using the in-memory store; data does not survive a restart');
  return createMemoryStorage({ sweepIntervalMs: config.SWEEP_INTERVAL_MS });
}

/** Off unless TOKEN_CACHE_TTL_MS is set: caching trades revocation on other replicas for fewer reads. */
function cacheTokens(tokens: TokenStore, config: Config, logger: Logger, metrics: Metrics): TokenStore {
  if (config.TOKEN_CACHE_TTL_MS === 0) return tokens;
  const ttlMs = config.TOKEN_CACHE_TTL_MS;
  logger.info({ ttlMs, maxEntries: config.TOKEN_CACHE_MAX_ENTRIES }, 'token cache on: revocations on other replicas take effect here within ttlMs');
  return new CachingTokenStore(tokens, {
    ttlMs,
    maxEntries: config.TOKEN_CACHE_MAX_ENTRIES,
    onLookup: (result) => metrics.tokenCacheLookups.inc({ result }),
  });
}

export function gatewaySettingsFrom(config: Config): GatewaySettings {
  return {
    tokenSources: { header: config.AUTHZ_TOKEN_HEADER, cookie: config.AUTHZ_TOKEN_COOKIE },
    identityHeaders: { userId: config.AUTHZ_USER_ID_HEADER, realm: config.AUTHZ_REALM_HEADER, scopes: config.AUTHZ_SCOPES_HEADER },
    removeAuthorization: config.AUTHZ_REMOVE_AUTHORIZATION,
  };
}

/** The introspection clients of INTROSPECTION_CLIENTS_FILE, read once at start; none without it. */
function introspectionClients(config: Config, hasher: PasswordHasher): ClientAuthenticator | undefined {
  if (!config.INTROSPECTION_CLIENTS_FILE) return undefined;
  try {
    return createClientAuthenticator(parseClientSecrets(readFileSync(config.INTROSPECTION_CLIENTS_FILE, 'utf8')), hasher);
  } catch (err) {
    throw new ConfigError(`invalid configuration: INTROSPECTION_CLIENTS_FILE ${err instanceof Error ? err.message : 'cannot be read'}`);
  }
}

/**
 * A token's last use (ListSessions, the idle timeout) is written at most once a minute per token
 * and replica, off the call's path, so that ValidateToken stays a read.
 */
function coalesceLastUse(tokens: TokenStore, logger: Logger): TokenStore {
  return new CoalescedLastUse(tokens, {
    windowMs: LAST_USE_WINDOW_MS,
    maxEntries: LAST_USE_MAX_ENTRIES,
    onError: (err) => logger.warn({ reason: err instanceof Error ? err.message : 'unknown' }, 'last use of a token not recorded'),
  });
}

function createNotifier(config: Config, logger: Logger): Notifier {
  if (config.RESET_WEBHOOK_URL && config.RESET_WEBHOOK_SECRET) {
    return createWebhookNotifier({ url: config.RESET_WEBHOOK_URL, secret: config.RESET_WEBHOOK_SECRET }, logger);
  }
  logger.warn('RESET_WEBHOOK_URL is not set: reset and verification tokens will be logged (development only)');
  return createLogNotifier(logger);
}

function createProviders(config: Config, logger: Logger): IdentityProviders {
  const settings = config.identityProviders;
  if (!settings) return noIdentityProviders;
  logger.info({ providers: settings.providers.map((provider) => provider.name) }, 'external identity providers configured');
  return createIdentityProviders(settings.providers, { timeoutMs: config.IDENTITY_PROVIDER_TIMEOUT_MS, logger });
}

/** The REST login flow: served when providers are configured and PUBLIC_URL says where browsers reach the gateway. */
function externalLogin(core: AuthCore, config: Config): HttpRoutes[] {
  const providers = config.identityProviders;
  const publicUrl = config.PUBLIC_URL;
  if (!providers || publicUrl === undefined) return [];
  const settings: ExternalLoginSettings = {
    publicUrl,
    callbackUrl: (provider) => restCallbackUrl(publicUrl, provider),
    successUrl: providers.successUrl,
    failureUrl: providers.failureUrl,
    returnToOrigins: providers.returnToOrigins,
  };
  return [externalLoginRoutes(core, settings)];
}

/** The composition root: builds every part from the configuration and starts serving. */
export async function startApp(config: Config, logger: Logger): Promise<RunningApp> {
  const metrics = new Metrics();
  const storage = await createStorage(config, logger);
  const hasher = await createBcryptHasher({ cost: config.BCRYPT_COST, maxQueued: config.HASH_QUEUE_MAX });
  const tls = readTlsMaterial(config);
  let draining = false;
  let databaseUp = false;
  let initialized = false;
  const context: CoreContext = {
    users: storage.users,
    tokens: coalesceLastUse(cacheTokens(storage.tokens, config, logger, metrics), logger),
    attempts: storage.attempts,
    identities: storage.identities,
    loginStates: storage.loginStates,
    hasher,
    notifier: createNotifier(config, logger),
    providers: createProviders(config, logger),
    policy: policyFrom(config),
    logger,
    events: metrics,
    now: () => new Date(),
  };
  const core = createAuthCore(context, () => databaseUp);

  const gateway = gatewaySettingsFrom(config);
  // Both gRPC ports: the same call handling and the same limits per client.
  const callDeps = { logger, metrics, isDraining: () => draining, limits: grpcLimitsFrom(config) };
  const grpc = createGrpcServer({
    ...callDeps,
    services: [authGrpcService(core), extAuthzGrpcService(core, gateway)],
    endpoint: { host: config.HOST, port: config.GRPC_PORT, tls },
  });
  // The admin service gets a server of its own, on its own port, with its own health and reflection.
  const admin =
    config.ADMIN_GRPC_PORT === undefined
      ? undefined
      : createGrpcServer({
          ...callDeps,
          services: [adminGrpcService(createAdminCore(context, () => databaseUp))],
          endpoint: { host: config.HOST, port: config.ADMIN_GRPC_PORT, tls: readAdminTlsMaterial(config) },
        });

  const setServing = (serving: boolean): void => {
    grpc.setServing(serving && !draining);
    admin?.setServing(serving && !draining);
  };

  /** Brings the store up (indexes included) when it was down, and keeps health in step with it. */
  const checkDatabase = async (): Promise<void> => {
    try {
      if (!initialized) {
        await storage.lifecycle.init();
        initialized = true;
      } else {
        await storage.lifecycle.ping();
      }
      if (!databaseUp) logger.info('database reachable: serving');
      databaseUp = true;
    } catch (err) {
      // The driver's own message (host and port, never credentials) says why.
      const reason = err instanceof Error ? ((err.cause instanceof Error ? err.cause : err).message) : 'unknown';
      if (databaseUp || !initialized) logger.warn({ reason }, 'database unreachable: not serving');
      databaseUp = false;
    }
    setServing(databaseUp);
  };

  await checkDatabase();
  let checking = false;
  const monitor = setInterval(() => {
    if (checking) return;
    checking = true;
    void checkDatabase().finally(() => (checking = false));
  }, HEALTH_INTERVAL_MS);
  monitor.unref();

  const isReady = (): boolean => databaseUp && !draining;
  const http =
    config.HTTP_PORT === 0
      ? undefined
      : createHttpServer({
          service: core,
          routes: [
            forwardAuthRoutes(core, gateway),
            introspectionRoutes({
              core,
              authenticateClient: introspectionClients(config, hasher),
              mutualTls: tls?.clientCa !== undefined,
              issuer: config.OAUTH_ISSUER,
            }),
            ...externalLogin(core, config),
          ],
          endpoint: { host: config.HOST, port: config.HTTP_PORT, tls },
          limits: httpLimitsFrom(config),
          logger,
          metrics,
          isReady,
          isDraining: () => draining,
          confirmRedirectOrigins: config.EMAIL_VERIFICATION_REDIRECT_ORIGINS,
        });
  const grpcPort = await grpc.listen();
  const httpPort = await http?.listen();
  const adminPort = await admin?.listen();
  logger.info({ grpcPort, httpPort, adminPort, store: config.MONGODB_URI ? 'mongodb' : 'memory' }, 'auth-service started');

  return {
    grpcPort,
    httpPort,
    adminPort,
    isReady,
    async stop() {
      draining = true;
      setServing(false);
      clearInterval(monitor);
      // gRPC drains first while REST stays up, so /readyz answers 503 (not a refused connection)
      // for as long as calls are in flight; one grace period covers both.
      const deadline = Date.now() + config.SHUTDOWN_GRACE_MS;
      await Promise.all([grpc.shutdown(config.SHUTDOWN_GRACE_MS), admin?.shutdown(config.SHUTDOWN_GRACE_MS)]);
      await http?.close(Math.max(0, deadline - Date.now()));
      await hasher.close();
      await storage.lifecycle.close();
      logger.info('auth-service stopped');
    },
  };
}
