import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'providers-config-'));
let files = 0;

/** Writes a providers file (an object as JSON, a string as is) and names it. */
function providersFile(content: unknown): string {
  const path = join(dir, `providers-${++files}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const google = {
  issuer: 'https://accounts.google.com',
  clientId: 'google-client',
  clientSecretEnv: 'GOOGLE_CLIENT_SECRET',
  redirectUris: ['https://app.example.com/cb'],
  scopes: ['openid', 'email', 'profile'],
  linkByVerifiedEmail: true,
};
const github = {
  authorizationEndpoint: 'https://github.com/login/oauth/authorize',
  tokenEndpoint: 'https://github.com/login/oauth/access_token',
  userinfoEndpoint: 'https://api.github.com/user',
  claims: { subject: 'id', email: 'email', name: 'name' },
  clientId: 'github-client',
  clientSecretEnv: 'GITHUB_CLIENT_SECRET',
  redirectUris: ['https://app.example.com/cb'],
};
const secrets = { GOOGLE_CLIENT_SECRET: 'g-secret', GITHUB_CLIENT_SECRET: 'gh-secret' };

function load(content: unknown, env: Record<string, string> = {}) {
  return loadConfig({ NODE_ENV: 'test', ...secrets, IDENTITY_PROVIDERS_FILE: providersFile(content), ...env });
}

/** The lines of a refused configuration. */
function refusal(content: unknown, env: Record<string, string> = {}): string[] {
  try {
    load(content, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message.split('\n');
  }
  return assert.fail('the configuration was accepted');
}

describe('IDENTITY_PROVIDERS_FILE', () => {
  it('is optional: no providers without it', () => {
    assert.equal(loadConfig({ NODE_ENV: 'test' }).identityProviders, undefined);
  });

  it("reads OpenID Connect and OAuth 2.0 providers, secrets from the environment, the REST callback added", () => {
    const config = load({ successUrl: 'https://app.example.com/welcome', providers: { google, github } }, { PUBLIC_URL: 'https://auth.example.com/' });
    const [g, gh] = config.identityProviders?.providers ?? [];
    assert.equal(g?.kind, 'oidc');
    assert.equal(g?.clientSecret, 'g-secret');
    assert.equal(g?.tokenEndpointAuthMethod, 'client_secret_post');
    assert.deepEqual(g?.redirectUris, ['https://app.example.com/cb', 'https://auth.example.com/auth/google/callback']);
    assert.equal(gh?.kind, 'oauth2');
    assert.equal(gh?.clientSecret, 'gh-secret');
    assert.deepEqual(gh?.kind === 'oauth2' && gh.claims, { subject: 'id', email: 'email', name: 'name' });
    assert.deepEqual(config.identityProviders?.returnToOrigins, ['https://app.example.com']);
  });

  it('defaults OpenID Connect scopes to openid email profile, and a public client to no client authentication', () => {
    const { clientSecretEnv: _, scopes: __, ...publicClient } = google;
    const [provider] = load({ providers: { google: publicClient } }).identityProviders?.providers ?? [];
    assert.deepEqual(provider?.scopes, ['openid', 'email', 'profile']);
    assert.equal(provider?.tokenEndpointAuthMethod, 'none');
    assert.equal(provider?.clientSecret, undefined);
  });

  it('names every problem on a line of its own, never a value', () => {
    const lines = refusal(
      {
        providers: {
          google: { ...google, clientId: '', clientSecretEnv: 'MISSING_SECRET' },
          github: { ...github, claims: { email: 'email' } },
          'Bad Name': google,
          verify: google,
          keycloak: { ...google, issuer: 'http://keycloak.example.com/realms/x' },
        },
      },
      { MISSING_SECRET: '' },
    );
    assert.deepEqual(lines, [
      'invalid configuration: IDENTITY_PROVIDERS_FILE providers.google.clientId: Too small: expected string to have >=1 characters',
      'invalid configuration: IDENTITY_PROVIDERS_FILE providers.github.claims.subject: Invalid input: expected string, received undefined',
      'invalid configuration: IDENTITY_PROVIDERS_FILE providers.Bad Name: a provider name is 1 to 32 of a-z 0-9 _ -, starting with a letter or digit',
      'invalid configuration: IDENTITY_PROVIDERS_FILE providers.verify: the name is taken: /auth/verify is another route',
      'invalid configuration: IDENTITY_PROVIDERS_FILE providers.keycloak.issuer: must be https (allowInsecureHttp is for tests on loopback)',
    ]);
  });

  it('refuses a secret kept in the file, and a secret variable that is not set', () => {
    assert.deepEqual(refusal({ providers: { google: { ...google, clientSecret: 'oops' } } }), [
      'invalid configuration: IDENTITY_PROVIDERS_FILE providers.google.clientSecret: secrets are not kept in the file: name an environment variable with clientSecretEnv',
    ]);
    const lines = refusal({ providers: { google } }, { GOOGLE_CLIENT_SECRET: '' });
    assert.deepEqual(lines, ['invalid configuration: IDENTITY_PROVIDERS_FILE providers.google.clientSecretEnv: the environment variable GOOGLE_CLIENT_SECRET is not set']);
    assert.ok(!lines.join('').includes('g-secret'));
  });

  it('allows plain HTTP only when asked, and never in production', () => {
    const loopback = { ...google, issuer: 'http://127.0.0.1:9999', allowInsecureHttp: true };
    assert.equal(load({ providers: { test: loopback } }).identityProviders?.providers[0]?.allowInsecureHttp, true);
    const lines = refusal(
      { providers: { test: loopback } },
      { NODE_ENV: 'production', MONGODB_URI: 'mongodb://db/', RESET_WEBHOOK_URL: 'https://hooks.example.com/reset', RESET_WEBHOOK_SECRET: 's' },
    );
    assert.deepEqual(lines, ['invalid configuration: IDENTITY_PROVIDERS_FILE providers.test.allowInsecureHttp: refused when NODE_ENV=production']);
  });

  it('refuses an OpenID Connect provider without the openid scope, unknown keys, and a login with nowhere to come back', () => {
    assert.deepEqual(refusal({ providers: { google: { ...google, scopes: ['email'] } } }), [
      'invalid configuration: IDENTITY_PROVIDERS_FILE providers.google.scopes: an OpenID Connect provider needs the openid scope',
    ]);
    assert.deepEqual(refusal({ providers: { google: { ...google, tenant: 'x' } } }), [
      'invalid configuration: IDENTITY_PROVIDERS_FILE providers.google: Unrecognized key: "tenant"',
    ]);
    assert.deepEqual(refusal({ providers: { google: { ...google, redirectUris: [] } } }), [
      'invalid configuration: IDENTITY_PROVIDERS_FILE providers.google.redirectUris: none given and PUBLIC_URL is not set, so no login could come back',
    ]);
    assert.deepEqual(refusal({ successUrl: 'https://app.example.com/', providers: { google } }), [
      'invalid configuration: IDENTITY_PROVIDERS_FILE successUrl, failureUrl: the REST flow they serve needs PUBLIC_URL',
    ]);
  });

  it('says when the file cannot be read or is not JSON', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'test', IDENTITY_PROVIDERS_FILE: join(dir, 'absent.json') }),
      { message: 'invalid configuration: IDENTITY_PROVIDERS_FILE cannot be read: ENOENT' },
    );
    assert.match(refusal('{"providers": ')[0] ?? '', /^invalid configuration: IDENTITY_PROVIDERS_FILE is not valid JSON: /);
    assert.deepEqual(refusal({ providers: {} }), ['invalid configuration: IDENTITY_PROVIDERS_FILE providers: none configured']);
  });
});
