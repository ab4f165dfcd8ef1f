import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bcrypt from 'bcrypt';
import { createClientAuthenticator, parseClientSecrets } from '../../src/adapters/introspection-clients.js';
import type { PasswordHasher } from '../../src/core/ports.js';

const HASH = bcrypt.hashSync('s3cret', 4);

/** bcrypt itself, counting the checks that reach it. */
function countingHasher() {
  let verifications = 0;
  const hasher: PasswordHasher = {
    hash: (password) => bcrypt.hash(password, 4),
    verify: async (password, hash) => {
      verifications++;
      return bcrypt.compare(password, hash);
    },
    verifyNothing: async (password) => {
      verifications++;
      await bcrypt.compare(password, HASH);
      return false;
    },
    // Client secrets are never rehashed: their hashes are the operator's file.
    needsRehash: () => false,
    refusal: () => undefined,
  };
  return { hasher, verifications: () => verifications };
}

describe('introspection clients file', () => {
  it('reads client_id:bcrypt-hash lines, skipping blanks and comments; $2y$ (htpasswd -B) is $2b$', () => {
    const clients = parseClientSecrets(`# clients\n\norders-api:${HASH}\r\nbilling api:${HASH.replace('$2b$', '$2y$')}\n`);
    assert.deepEqual([...clients.keys()], ['orders-api', 'billing api']);
    assert.equal(clients.get('billing api'), HASH);
  });

  it('refuses a malformed line or a repeated id, naming the line and never its content', () => {
    for (const [text, line] of [
      ['orders-api:plain-secret', 1],
      [`# ok\n:${HASH}`, 2],
      [`orders-api ${HASH}`, 1],
      [`a:${HASH}\na:${HASH}`, 2],
      [`a:$1$md5$notbcrypt`, 1],
    ] as const) {
      assert.throws(() => parseClientSecrets(text), (err: Error) => err.message.startsWith(`line ${line} `) && !err.message.includes('$'), text);
    }
  });

  it('checks a secret with bcrypt once; later calls with the same secret compare its digest alone', async () => {
    const { hasher, verifications } = countingHasher();
    const authenticate = createClientAuthenticator(parseClientSecrets(`rs:${HASH}`), hasher);
    assert.equal(await authenticate('rs', 'wrong', {}), false);
    assert.equal(await authenticate('rs', 's3cret', {}), true);
    assert.equal(await authenticate('rs', 's3cret', {}), true);
    assert.equal(verifications(), 2);
    assert.equal(await authenticate('rs', 's3cret!', {}), false);
    assert.equal(await authenticate('nobody', 's3cret', {}), false);
    assert.equal(await authenticate('rs', `s3cret${'x'.repeat(80)}`, {}), false, 'bcrypt reads 72 bytes: longer secrets are refused');
    assert.equal(verifications(), 5);
  });
});
