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
