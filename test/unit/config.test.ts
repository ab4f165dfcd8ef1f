import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policyFrom } from '../../src/app.js';
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
