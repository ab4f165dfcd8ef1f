import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
