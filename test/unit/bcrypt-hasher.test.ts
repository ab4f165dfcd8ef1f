import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createBcryptHasher, type BcryptHasher } from '../../src/adapters/bcrypt-hasher.js';

/** Hashes as other bcrypt implementations write them: bcryptjs (LoopBack) `$2a$`, PHP `$2y$`, OpenBSD and node `$2b$`. */
describe('bcrypt hasher: hashes made elsewhere', () => {
  let hasher: BcryptHasher;
  before(async () => {
    hasher = await createBcryptHasher({ cost: 4, maxQueued: 16, threads: 1 });
  });
  after(() => hasher.close());

  it('verifies $2a$, $2b$ and $2y$ hashes of one password, and refuses a wrong one', async () => {
    const native = await hasher.hash('correct horse');
    assert.match(native, /^\$2b\$04\$/);
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const hash = prefix + native.slice(4);
      assert.equal(await hasher.verify('correct horse', hash), true, prefix);
      assert.equal(await hasher.verify('correct horsE', hash), false, prefix);
    }
  });

  it('refuses $2x$ (PHP\'s flagged hashes of the old, buggy algorithm)', async () => {
    const native = await hasher.hash('correct horse');
    assert.equal(await hasher.verify('correct horse', `$2x$${native.slice(4)}`), false);
  });
});
