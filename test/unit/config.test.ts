import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewaySettingsFrom, policyFrom } from '../../src/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = { NODE_ENV: 'test' };

describe('token cache configuration', () => {
  it('is off by default, with 100000 entries', () => {
    const config = loadConfig(base);
    assert.equal(config.TOKEN_CACHE_TTL_MS, 0);
    assert.equal(config.TOKEN_CACHE_MAX_ENTRIES, 100000);
  });

  it('takes a ttl up to one minute and a positive size', () => {
    const config = loadConfig({ ...base, TOKEN_CACHE_TTL_MS: '60000', TOKEN_CACHE_MAX_ENTRIES: '1' });
    assert.equal(config.TOKEN_CACHE_TTL_MS, 60000);
    assert.equal(config.TOKEN_CACHE_MAX_ENTRIES, 1);
  });

  it('refuses bad values with one line naming the variable', () => {
    for (const [variable, value] of [
      ['TOKEN_CACHE_TTL_MS', '60001'],
      ['TOKEN_CACHE_TTL_MS', '-1'],
      ['TOKEN_CACHE_TTL_MS', '1.5'],
      ['TOKEN_CACHE_TTL_MS', 'soon'],
      ['TOKEN_CACHE_MAX_ENTRIES', '0'],
      ['TOKEN_CACHE_MAX_ENTRIES', 'many'],
    ] as const) {
      assert.throws(
        () => loadConfig({ ...base, [variable]: value }),
        (err: Error) => err instanceof ConfigError && new RegExp(`^invalid configuration: ${variable} [^\\n]+$`).test(err.message),
        `${variable}=${value}`,
      );
    }
  });
});

describe('sign-up configuration', () => {
  it('is open by default, 10 sign-ups per address and realm per hour', () => {
    const config = loadConfig(base);
    assert.equal(config.SIGNUP, 'open');
    assert.equal(config.SIGNUP_MAX_PER_WINDOW, 10);
    assert.equal(config.SIGNUP_WINDOW_SECONDS, 3600);
    const policy = policyFrom(config);
    assert.deepEqual([policy.signupOpen, policy.signupMaxPerWindow, policy.signupWindowMs], [true, 10, 3600_000]);
  });

  it('closes with SIGNUP=closed', () => {
    assert.equal(policyFrom(loadConfig({ ...base, SIGNUP: 'closed' })).signupOpen, false);
  });

  it('refuses bad values with one line naming the variable', () => {
    for (const [variable, value] of [
      ['SIGNUP', 'off'],
      ['SIGNUP', 'CLOSED'],
      ['SIGNUP_MAX_PER_WINDOW', '0'],
      ['SIGNUP_MAX_PER_WINDOW', 'many'],
      ['SIGNUP_WINDOW_SECONDS', '-1'],
      ['SIGNUP_WINDOW_SECONDS', '1.5'],
    ] as const) {
      assert.throws(
        () => loadConfig({ ...base, [variable]: value }),
        (err: Error) => err instanceof ConfigError && new RegExp(`^invalid configuration: ${variable} [^\\n]+$`).test(err.message),
        `${variable}=${value}`,
      );
    }
  });
});

describe('client limits configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(base);
    assert.deepEqual(
      {
        REQUEST_MAX_BYTES: config.REQUEST_MAX_BYTES,
        GRPC_MAX_CONCURRENT_STREAMS: config.GRPC_MAX_CONCURRENT_STREAMS,
        GRPC_MAX_SESSION_MEMORY_MB: config.GRPC_MAX_SESSION_MEMORY_MB,
        GRPC_KEEPALIVE_TIME_MS: config.GRPC_KEEPALIVE_TIME_MS,
        GRPC_KEEPALIVE_TIMEOUT_MS: config.GRPC_KEEPALIVE_TIMEOUT_MS,
        GRPC_MAX_CONNECTION_IDLE_MS: config.GRPC_MAX_CONNECTION_IDLE_MS,
        GRPC_MAX_CONNECTION_AGE_MS: config.GRPC_MAX_CONNECTION_AGE_MS,
        GRPC_MAX_CONNECTION_AGE_GRACE_MS: config.GRPC_MAX_CONNECTION_AGE_GRACE_MS,
        HTTP_HEADERS_TIMEOUT_MS: config.HTTP_HEADERS_TIMEOUT_MS,
        HTTP_REQUEST_TIMEOUT_MS: config.HTTP_REQUEST_TIMEOUT_MS,
        HTTP_KEEP_ALIVE_TIMEOUT_MS: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
        HTTP_MAX_CONNECTIONS: config.HTTP_MAX_CONNECTIONS,
      },
      {
        REQUEST_MAX_BYTES: 16384,
        GRPC_MAX_CONCURRENT_STREAMS: 100,
        GRPC_MAX_SESSION_MEMORY_MB: 10,
        GRPC_KEEPALIVE_TIME_MS: 60000,
        GRPC_KEEPALIVE_TIMEOUT_MS: 20000,
        GRPC_MAX_CONNECTION_IDLE_MS: 300000,
        GRPC_MAX_CONNECTION_AGE_MS: 1800000,
        GRPC_MAX_CONNECTION_AGE_GRACE_MS: 30000,
        HTTP_HEADERS_TIMEOUT_MS: 10000,
        HTTP_REQUEST_TIMEOUT_MS: 15000,
        HTTP_KEEP_ALIVE_TIMEOUT_MS: 72000,
        HTTP_MAX_CONNECTIONS: 1000,
      },
    );
  });

  it('refuses a headers timeout longer than the request timeout, and limits that are not positive', () => {
    for (const [variable, env] of [
      ['HTTP_HEADERS_TIMEOUT_MS', { HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }],
      ['HTTP_MAX_CONNECTIONS', { HTTP_MAX_CONNECTIONS: '0' }],
      ['GRPC_MAX_CONCURRENT_STREAMS', { GRPC_MAX_CONCURRENT_STREAMS: '0' }],
      ['REQUEST_MAX_BYTES', { REQUEST_MAX_BYTES: '100' }],
      ['GRPC_MAX_CONNECTION_AGE_MS', { GRPC_MAX_CONNECTION_AGE_MS: '-1' }],
    ] as const) {
      assert.throws(
        () => loadConfig({ ...base, ...env }),
        (err: Error) => err instanceof ConfigError && err.message.startsWith(`invalid configuration: ${variable} `),
        JSON.stringify(env),
      );
    }
  });
});

describe('gateway configuration (AUTHZ_*, introspection)', () => {
  it('defaults: the token in Authorization only, x-auth-* user headers, Authorization kept', () => {
    assert.deepEqual(gatewaySettingsFrom(loadConfig(base)), {
      tokenSources: { header: undefined, cookie: undefined },
      identityHeaders: { userId: 'x-auth-user-id', realm: 'x-auth-realm', scopes: 'x-auth-scopes' },
      removeAuthorization: false,
    });
  });

  it('takes header names in any case, a cookie, and an issuer', () => {
    const config = loadConfig({ ...base, AUTHZ_TOKEN_HEADER: 'X-Access-Token', AUTHZ_TOKEN_COOKIE: 'session_id', AUTHZ_USER_ID_HEADER: 'X-User', OAUTH_ISSUER: 'https://auth.example.com' });
    assert.deepEqual(gatewaySettingsFrom(config).tokenSources, { header: 'x-access-token', cookie: 'session_id' });
    assert.equal(gatewaySettingsFrom(config).identityHeaders.userId, 'x-user');
    assert.equal(config.OAUTH_ISSUER, 'https://auth.example.com');
  });

  it('refuses names that are no header, that carry credentials, or that clash, with one line naming the variable', () => {
    for (const [variable, value, extra] of [
      ['AUTHZ_USER_ID_HEADER', 'x user', {}],
      ['AUTHZ_USER_ID_HEADER', 'Authorization', {}],
      ['AUTHZ_REALM_HEADER', 'cookie', {}],
      ['AUTHZ_SCOPES_HEADER', 'x-auth-user-id', {}],
      ['AUTHZ_USER_ID_HEADER', 'x-access-token', { AUTHZ_TOKEN_HEADER: 'X-Access-Token' }],
      ['AUTHZ_TOKEN_HEADER', 'authorization', {}],
      ['AUTHZ_TOKEN_COOKIE', 'a;b', {}],
      ['AUTHZ_REMOVE_AUTHORIZATION', 'maybe', {}],
      ['OAUTH_ISSUER', 'ftp://auth.example.com', {}],
      ['OAUTH_ISSUER', 'https://auth.example.com/?tenant=1', {}],
    ] as const) {
      assert.throws(
        () => loadConfig({ ...base, ...extra, [variable]: value }),
        (err: Error) => err instanceof ConfigError && new RegExp(`^invalid configuration: ${variable} [^\\n]+$`).test(err.message),
        `${variable}=${value}`,
      );
    }
  });
});

describe('idle timeout configuration', () => {
  it('is off by default', () => {
    assert.equal(policyFrom(loadConfig(base)).idleTimeoutSeconds, 0);
  });

  it('takes 120 seconds or more; less only in test mode, since last use is written once a minute', () => {
    assert.equal(policyFrom(loadConfig({ NODE_ENV: 'production', MONGODB_URI: 'mongodb://db', RESET_WEBHOOK_URL: 'https://hooks.example/reset', RESET_WEBHOOK_SECRET: 's', TOKEN_IDLE_TIMEOUT: '120' })).idleTimeoutSeconds, 120);
    assert.equal(loadConfig({ ...base, TOKEN_IDLE_TIMEOUT: '2' }).TOKEN_IDLE_TIMEOUT, 2);
    for (const [env, value] of [
      ['development', '119'],
      ['development', '-1'],
      ['development', '1.5'],
      ['test', 'soon'],
    ] as const) {
      assert.throws(
        () => loadConfig({ NODE_ENV: env, TOKEN_IDLE_TIMEOUT: value }),
        (err: Error) => err instanceof ConfigError && /^invalid configuration: TOKEN_IDLE_TIMEOUT [^\n]+$/.test(err.message),
        `${env}: ${value}`,
      );
    }
  });
});

describe('admin port configuration', () => {
  it('is off by default', () => {
    assert.equal(loadConfig(base).ADMIN_GRPC_PORT, undefined);
  });

  it('refuses the public ports, and TLS without a CA for admin clients', () => {
    for (const [env, variable] of [
      [{ ADMIN_GRPC_PORT: '50051' }, 'ADMIN_GRPC_PORT'],
      [{ ADMIN_GRPC_PORT: '3000' }, 'ADMIN_GRPC_PORT'],
      [{ ADMIN_GRPC_PORT: 'x' }, 'ADMIN_GRPC_PORT'],
      [{ ADMIN_GRPC_PORT: '50052', TLS_CERT_FILE: 'c', TLS_KEY_FILE: 'k' }, 'ADMIN_TLS_CLIENT_CA_FILE'],
      [{ ADMIN_TLS_CLIENT_CA_FILE: 'ca' }, 'ADMIN_TLS_CLIENT_CA_FILE'],
    ] as const) {
      assert.throws(
        () => loadConfig({ ...base, ...env }),
        (err: Error) => err instanceof ConfigError && err.message.startsWith(`invalid configuration: ${variable} `),
        JSON.stringify(env),
      );
    }
    assert.equal(loadConfig({ ...base, ADMIN_GRPC_PORT: '50052', TLS_CERT_FILE: 'c', TLS_KEY_FILE: 'k', TLS_CLIENT_CA_FILE: 'ca' }).ADMIN_GRPC_PORT, 50052);
    assert.equal(loadConfig({ ...base, ADMIN_GRPC_PORT: '50052', TLS_CERT_FILE: 'c', TLS_KEY_FILE: 'k', ADMIN_TLS_CLIENT_CA_FILE: 'ca' }).ADMIN_GRPC_PORT, 50052);
  });
});
