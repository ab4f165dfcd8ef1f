/**
 * One identity, one account (issue 18, point 5): the red-team list as a table, run on the core with
 * the in-memory store. Each row is a spelling an attacker (or a careless client) sends beside an
 * existing account's: either it is that account (CreateUser answers EMAIL_EXISTS or
 * USERNAME_EXISTS, Login logs in to it) or it is refused with the field's code. None may become a
 * second account.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { normalizeEmail, normalizeRealm, normalizeUsername } from '../../src/core/accounts/identity.js';
import { ErrorCode } from '../../src/core/errors.js';
import { createTestService } from '../support/service.js';

const PASSWORD = 'correct horse';

type Outcome = 'same' | ErrorCode;

/** [what the row is, the spelling sent, what it must be]; the account was created as `ann@example.com`. */
const EMAILS: ReadonlyArray<[string, string, Outcome]> = [
  ['full-width local part', 'ＡＮＮ@example.com', 'same'],
  ['full-width domain', 'ann@ｅｘａｍｐｌｅ.com', 'same'],
  ['full-width @', 'ann＠example.com', 'same'],
  ['upper case', 'ANN@EXAMPLE.COM', 'same'],
  ['white space around', ' ann@example.com\t', 'same'],
  ['U+200B zero-width space inside', 'an\u200bn@example.com', ErrorCode.INVALID_EMAIL],
  ['U+200B at the end', 'ann@example.com\u200b', ErrorCode.INVALID_EMAIL],
  ['U+00AD soft hyphen', 'an\u00adn@example.com', ErrorCode.INVALID_EMAIL],
  ['U+202E right-to-left override', 'ann\u202e@example.com', ErrorCode.INVALID_EMAIL],
  ['U+2066 left-to-right isolate', '\u2066ann@example.com', ErrorCode.INVALID_EMAIL],
  ['U+061C Arabic letter mark', 'ann@exa\u061cmple.com', ErrorCode.INVALID_EMAIL],
  ['U+0085 next line (C1)', 'an\u0085n@example.com', ErrorCode.INVALID_EMAIL],
  ['U+009B CSI (C1)', 'ann\u009b@example.com', ErrorCode.INVALID_EMAIL],
  ['U+2028 line separator', 'ann@exa\u2028mple.com', ErrorCode.INVALID_EMAIL],
  ['U+2029 paragraph separator', 'ann\u2029@example.com', ErrorCode.INVALID_EMAIL],
  ['U+FE0F variation selector', 'ann\ufe0f@example.com', ErrorCode.INVALID_EMAIL],
  ['U+3164 Hangul filler', 'ann\u3164@example.com', ErrorCode.INVALID_EMAIL],
  ['U+E000 private use', 'ann\ue000@example.com', ErrorCode.INVALID_EMAIL],
  ['a path after the domain (a URL parser would cut it)', 'ann@example.com/x', ErrorCode.INVALID_EMAIL],
  ['a query after the domain', 'ann@example.com?x', ErrorCode.INVALID_EMAIL],
  ['percent-encoding in the domain (a URL parser would decode it)', 'ann@exa%6dple.com', ErrorCode.INVALID_EMAIL],
  ['a tab inside the domain (a URL parser would drop it)', 'ann@exam\tple.com', ErrorCode.INVALID_EMAIL],
];

/** Account `rené@münchen.de` created in one form, sent in another. */
const UNICODE_EMAILS: ReadonlyArray<[string, string, string]> = [
  ['NFC, then NFD', 'ren\u00e9@example.com', 'rene\u0301@example.com'],
  ['NFD, then NFC', 'rene\u0301@example.com', 'ren\u00e9@example.com'],
  ['Unicode domain, then punycode', 'ann@münchen.de', 'ann@xn--mnchen-3ya.de'],
  ['punycode domain, then Unicode', 'ann@XN--MNCHEN-3YA.de', 'ann@MÜNCHEN.de'],
  ['NFD in the domain, then NFC', 'ann@mu\u0308nchen.de', 'ann@m\u00fcnchen.de'],
];

/** The account has username `Ann`. */
const USERNAMES: ReadonlyArray<[string, string, Outcome]> = [
  ['upper case', 'ANN', 'same'],
  ['lower case', 'ann', 'same'],
  ['mixed case', 'aNN', 'same'],
  ['full-width', 'ａｎｎ', 'same'],
  ['U+200B inside', 'A\u200bnn', ErrorCode.INVALID_ARGUMENT],
  ['U+00AD inside', 'An\u00adn', ErrorCode.INVALID_ARGUMENT],
  ['U+202E inside', 'Ann\u202e', ErrorCode.INVALID_ARGUMENT],
  ['U+0085 inside', 'Ann\u0085', ErrorCode.INVALID_ARGUMENT],
  ['a leading space', ' Ann', ErrorCode.INVALID_ARGUMENT],
  ['Cyrillic А (a different letter, not a case)', '\u0410nn', ErrorCode.INVALID_ARGUMENT],
];

/** The account is in realm `admin`. */
const REALMS: ReadonlyArray<[string, string, Outcome]> = [
  ['upper case', 'Admin', 'same'],
  ['all upper case', 'ADMIN', 'same'],
  ['full-width', 'ａｄｍｉｎ', 'same'],
  ['U+200B at the end', 'admin\u200b', ErrorCode.INVALID_ARGUMENT],
  ['a leading space', ' admin', ErrorCode.INVALID_ARGUMENT],
  ['a trailing space', 'admin ', ErrorCode.INVALID_ARGUMENT],
  ['U+202E inside', 'ad\u202emin', ErrorCode.INVALID_ARGUMENT],
  ['U+0085 at the end', 'admin\u0085', ErrorCode.INVALID_ARGUMENT],
  ['Cyrillic а', '\u0430dmin', ErrorCode.INVALID_ARGUMENT],
  ['operator-like', '$admin', ErrorCode.INVALID_ARGUMENT],
];

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message: string): Promise<void> {
  await assert.rejects(promise, (err: { code?: string }) => {
    assert.equal(err.code, code, message);
    return true;
  });
}

describe('one identity, one account: emails', () => {
  for (const [what, spelling, outcome] of EMAILS) {
    it(`${what}: ${outcome === 'same' ? 'the same account' : outcome}`, async () => {
      const fx = await createTestService();
      const ann = await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
      if (outcome === 'same') {
        await rejectsWith(fx.service.createUser({ email: spelling, password: PASSWORD }), ErrorCode.EMAIL_EXISTS, what);
        assert.equal((await fx.service.login({ email: spelling, password: PASSWORD })).token.userId, ann.id, what);
        await fx.service.resetPassword(spelling);
        assert.equal(fx.notifier.last().userId, ann.id, what);
      } else {
        await rejectsWith(fx.service.createUser({ email: spelling, password: PASSWORD }), outcome, what);
        await rejectsWith(fx.service.login({ email: spelling, password: PASSWORD }), outcome, what);
        await rejectsWith(fx.service.resetPassword(spelling), outcome, what);
      }
    });
  }

  for (const [what, first, second] of UNICODE_EMAILS) {
    it(`${what}: one account`, async () => {
      const fx = await createTestService();
      const user = await fx.service.createUser({ email: first, password: PASSWORD });
      await rejectsWith(fx.service.createUser({ email: second, password: PASSWORD }), ErrorCode.EMAIL_EXISTS, what);
      assert.equal((await fx.service.login({ email: second, password: PASSWORD })).token.userId, user.id, what);
    });
  }

  it('stores the normalized form: NFC, lower case, the domain as IDNA ASCII', async () => {
    const fx = await createTestService();
    assert.equal((await fx.service.createUser({ email: ' RENE\u0301@MÜNCHEN.de ', password: PASSWORD })).email, 'ren\u00e9@xn--mnchen-3ya.de');
    assert.equal((await fx.service.createUser({ email: 'ＡＮＮ@ｅｘａｍｐｌｅ.com', password: PASSWORD })).email, 'ann@example.com');
  });

  it('keeps other forms apart: a look-alike letter is another address', async () => {
    const fx = await createTestService();
    const ann = await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD });
    const lookalike = await fx.service.createUser({ email: '\u0430nn@example.com', password: PASSWORD }); // Cyrillic а
    assert.notEqual(lookalike.id, ann.id);
  });

  it('refuses shapes that are no address, as before', async () => {
    const fx = await createTestService();
    for (const email of ['ann@example.com.', 'ann@[127.0.0.1]', 'ann@exa$mple.com', 'ann@a..b', 'a@b', '@example.com', 'ann@@example.com', `${'a'.repeat(65)}@example.com`, `ann@${'a'.repeat(64)}.com`]) {
      await rejectsWith(fx.service.createUser({ email, password: PASSWORD }), ErrorCode.INVALID_EMAIL, JSON.stringify(email));
    }
  });
});

describe('one identity, one account: usernames', () => {
  for (const [what, spelling, outcome] of USERNAMES) {
    it(`${what}: ${outcome === 'same' ? 'the same user' : outcome}`, async () => {
      const fx = await createTestService();
      const ann = await fx.service.createUser({ email: 'ann@example.com', username: 'Ann', password: PASSWORD });
      if (outcome === 'same') {
        await rejectsWith(fx.service.createUser({ email: 'other@example.com', username: spelling, password: PASSWORD }), ErrorCode.USERNAME_EXISTS, what);
        const { token, user } = await fx.service.login({ username: spelling, password: PASSWORD, includeUser: true });
        assert.equal(token.userId, ann.id, what);
        assert.equal(user?.username, 'Ann', `${what}: the display form as created`);
      } else {
        await rejectsWith(fx.service.createUser({ email: 'other@example.com', username: spelling, password: PASSWORD }), outcome, what);
        await rejectsWith(fx.service.login({ username: spelling, password: PASSWORD }), outcome, what);
      }
    });
  }

  it('keeps and returns the display form as first created', async () => {
    const fx = await createTestService();
    const created = await fx.service.createUser({ email: 'ann@example.com', username: 'AnnB', password: PASSWORD });
    assert.equal(created.username, 'AnnB');
    const { user } = await fx.service.login({ username: 'annb', password: PASSWORD, includeUser: true });
    assert.equal(user?.username, 'AnnB');
    assert.equal((await fx.service.createUser({ email: 'w@example.com', username: 'ＷＩＤＥ', password: PASSWORD })).username, 'WIDE');
  });

  it('gives Ann, ANN and ann one login lock', async () => {
    const fx = await createTestService();
    await fx.service.createUser({ email: 'ann@example.com', username: 'Ann', password: PASSWORD });
    for (const spelling of ['Ann', 'ANN', 'ann', 'aNn', 'ａｎｎ']) {
      await rejectsWith(fx.service.login({ username: spelling, password: 'wrong password' }), ErrorCode.LOGIN_FAILED, spelling);
    }
    await rejectsWith(fx.service.login({ username: 'Ann', password: PASSWORD }), ErrorCode.TOO_MANY_ATTEMPTS, 'locked');
  });
});

describe('one identity, one account: realms', () => {
  for (const [what, spelling, outcome] of REALMS) {
    it(`${what}: ${outcome === 'same' ? 'the same realm' : outcome}`, async () => {
      const fx = await createTestService();
      const ann = await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD, realm: 'admin' });
      if (outcome === 'same') {
        await rejectsWith(fx.service.createUser({ email: 'ann@example.com', password: PASSWORD, realm: spelling }), ErrorCode.EMAIL_EXISTS, what);
        const { token } = await fx.service.login({ email: 'ann@example.com', password: PASSWORD, realm: spelling });
        assert.equal(token.userId, ann.id, what);
        const validation = await fx.service.validateToken({ accessToken: token.id });
        assert.equal(validation.active && validation.realm, 'admin', what);
      } else {
        await rejectsWith(fx.service.createUser({ email: 'ann@example.com', password: PASSWORD, realm: spelling }), outcome, what);
        await rejectsWith(fx.service.login({ email: 'ann@example.com', password: PASSWORD, realm: spelling }), outcome, what);
        await rejectsWith(fx.service.resetPassword('ann@example.com', spelling), outcome, what);
      }
    });
  }

  it('allows the default realm and 1-64 of a-z 0-9 . _ - starting with a letter or digit', async () => {
    const fx = await createTestService();
    for (const realm of ['', 'a', '0', 'tenant-a', 'tenant.a', 'tenant_a', 'x'.repeat(64)]) {
      assert.equal((await fx.service.createUser({ email: 'ann@example.com', password: PASSWORD, realm })).realm, realm);
    }
    for (const realm of ['x'.repeat(65), '.a', '-a', '_a', 'a b', 'a/b', 'a:b', 'ü', '\u0000']) {
      await rejectsWith(fx.service.createUser({ email: 'ann@example.com', password: PASSWORD, realm }), ErrorCode.INVALID_ARGUMENT, JSON.stringify(realm));
    }
  });
});

describe('normalization is stable', () => {
  const tryNormalize = (normalize: (value: string) => string, value: string): string | undefined => {
    try {
      return normalize(value);
    } catch {
      return undefined;
    }
  };
  // Text that mixes ASCII with the characters normalization acts on: compatibility forms, case
  // pairs with special mappings, combining marks, invisible and bidi characters.
  const tricky = fc.constantFrom('a', 'A', '\u0386', 'ａ', 'Ａ', 'İ', 'ı', 'ß', 'ẞ', 'Σ', 'ς', 'ǅ', 'ﬁ', 'K', 'Å', 'e\u0301', '\u0301', '\u0308', '\u0345', 'ㄱ', '\u1100\u1161', '.', '-', '_', '@', '＠', '\u200b', '\u202e');
  const text = fc.array(fc.oneof(tricky, fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 12 }).map((parts) => parts.join(''));
  const emailish = fc.tuple(text, fc.oneof(text, fc.constantFrom('example.com', 'münchen.de', 'xn--mnchen-3ya.de'))).map(([local, domain]) => `${local}@${domain}`);

  for (const [field, normalize, values] of [
    ['email', normalizeEmail, emailish],
    ['username', normalizeUsername, text],
    ['realm', normalizeRealm, text],
  ] as const) {
    it(`${field}: a normalized value normalizes to itself`, () => {
      fc.assert(
        fc.property(values, (value) => {
          const once = tryNormalize(normalize, value);
          if (once !== undefined) assert.equal(normalize(once), once);
        }),
        // A counterexample fast-check once found: lower-casing Ά leaves ά + U+0345, which NFKC composes.
        { numRuns: 3000, examples: [['\u0386\u0345@example.com']] },
      );
    });
  }
});
