import type { Collection, MongoServerError } from 'mongodb';
import { guarded, isDuplicateKey, literal } from '../mongo/errors.js';
import { DuplicateKeyError, usernameKey, type UniqueField, type UserChanges, type UserRecord, type UserStore } from './port.js';

export interface UserDoc {
  _id: string;
  realm: string;
  email: string;
  /** Absent when the user has none; as first given (its case kept). */
  username?: string;
  /**
   * What the unique {realm, usernameKey} index holds: `name:<usernameKey(username)>` (lower-cased,
   * so that usernames differing only in case collide), or `none:<id>` for a user without one, so
   * that those never collide. A partial unique index on `username` would do on MongoDB, but
   * FerretDB refuses partialFilterExpression (238) and ignores `sparse`, and a plain unique index
   * makes MongoDB see every absent username as one null. This one index behaves the same on both,
   * at the cost of one index entry per user.
   */
  usernameKey: string;
  /** Absent for an account without a password (made by an external login). */
  passwordHash?: string;
  /** Absent until a new password is set here. */
  passwordChangedAt?: Date;
  emailVerified: boolean;
  /** Absent (in documents written before it existed) means false. */
  disabled?: boolean;
  created: Date;
}

const usernameKeyOf = (username: string): string => `name:${usernameKey(username)}`;

/** Users in the `users` collection. */
export class MongoUserStore implements UserStore {
  constructor(private readonly users: Collection<UserDoc>) {}

  /** One index per command: FerretDB 1.24 drops the connection when one createIndexes names several existing ones. */
  async ensureIndexes(): Promise<void> {
    await this.users.createIndex({ realm: 1, email: 1 }, { name: 'realm_email', unique: true });
    await this.users.createIndex({ realm: 1, usernameKey: 1 }, { name: 'realm_usernameKey', unique: true });
  }

  create(user: UserRecord): Promise<void> {
    return guarded(async () => {
      const usernameKey = user.username === undefined ? `none:${user.id}` : usernameKeyOf(user.username);
      try {
        await this.users.insertOne(toDoc(user, usernameKey));
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        throw new DuplicateKeyError(await this.duplicateField(err, user.id, { realm: user.realm, email: user.email, usernameKey }));
      }
    });
  }

  /**
   * Looks first, so that a run again costs one lookup per user rather than a refused insert and
   * the lookups that name the refusing index; looks again when the insert is refused, for one
   * that raced it.
   */
  insertIfAbsent(user: UserRecord): Promise<boolean> {
    return guarded(async () => {
      const stored = () => this.users.findOne({ _id: literal(user.id) }, { projection: { _id: 1 } });
      if (await stored()) return false;
      try {
        await this.create(user);
        return true;
      } catch (err) {
        if ((err instanceof DuplicateKeyError || isDuplicateKey(err)) && (await stored())) return false;
        throw err;
      }
    });
  }

  /**
   * Which unique field a duplicate-key error hit when user `id` tried to hold `wanted`. MongoDB
   * names the index in keyPattern; FerretDB names nothing, so then the values are looked up among
   * the other users (email first, as the memory store checks).
   */
  private async duplicateField(err: MongoServerError, id: string, wanted: Pick<UserDoc, 'realm' | 'email' | 'usernameKey'>): Promise<UniqueField> {
    const pattern = Object.keys((err.keyPattern as Record<string, unknown> | undefined) ?? {});
    if (pattern.includes('email')) return 'email';
    if (pattern.includes('usernameKey')) return 'username';
    if (pattern.length === 0) {
      const others = { _id: { $ne: id }, realm: wanted.realm };
      if (await this.users.findOne({ ...others, email: wanted.email }, { projection: { _id: 1 } })) return 'email';
      if (await this.users.findOne({ ...others, usernameKey: wanted.usernameKey }, { projection: { _id: 1 } })) return 'username';
    }
    throw err; // an _id collision: not a field the caller chose
  }

  findById(id: string): Promise<UserRecord | undefined> {
    return guarded(async () => toUser(await this.users.findOne({ _id: literal(id) })));
  }

  findByEmail(realm: string, email: string): Promise<UserRecord | undefined> {
    return guarded(async () => toUser(await this.users.findOne({ realm: literal(realm), email: literal(email) })));
  }

  findByUsername(realm: string, username: string): Promise<UserRecord | undefined> {
    return guarded(async () => toUser(await this.users.findOne({ realm: literal(realm), usernameKey: usernameKeyOf(literal(username)) })));
  }

  setPasswordHash(userId: string, passwordHash: string, changedAt: Date): Promise<void> {
    return guarded(async () => {
      await this.users.updateOne({ _id: literal(userId) }, { $set: { passwordHash, passwordChangedAt: changedAt } });
    });
  }

  update(userId: string, changes: UserChanges): Promise<UserRecord | undefined> {
    return guarded(async () => {
      const $set: Partial<UserDoc> = {};
      if (changes.email !== undefined) $set.email = changes.email;
      if (changes.username !== undefined) {
        $set.username = changes.username;
        $set.usernameKey = usernameKeyOf(changes.username);
      }
      if (changes.emailVerified !== undefined) $set.emailVerified = changes.emailVerified;
      if (changes.disabled !== undefined) $set.disabled = changes.disabled;
      if (Object.keys($set).length === 0) return this.findById(userId);
      try {
        return toUser(await this.users.findOneAndUpdate({ _id: literal(userId) }, { $set }, { returnDocument: 'after' }));
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const current = await this.users.findOne({ _id: userId });
        if (!current) throw err;
        throw new DuplicateKeyError(await this.duplicateField(err, userId, { ...current, ...$set }));
      }
    });
  }

  delete(userId: string): Promise<boolean> {
    return guarded(async () => (await this.users.deleteOne({ _id: literal(userId) })).deletedCount === 1);
  }

  markEmailVerified(userId: string, email: string): Promise<boolean> {
    return guarded(async () => {
      const { matchedCount } = await this.users.updateOne({ _id: literal(userId), email: literal(email) }, { $set: { emailVerified: true } });
      return matchedCount === 1;
    });
  }

  replacePasswordHash(userId: string, expected: string, passwordHash: string): Promise<boolean> {
    return guarded(async () => {
      const { modifiedCount } = await this.users.updateOne({ _id: literal(userId), passwordHash: literal(expected) }, { $set: { passwordHash } });
      return modifiedCount === 1;
    });
  }
}

function toDoc(user: UserRecord, usernameKey: string): UserDoc {
  return {
    _id: user.id,
    realm: user.realm,
    email: user.email,
    ...(user.username === undefined ? {} : { username: user.username }),
    usernameKey,
    ...(user.passwordHash === undefined ? {} : { passwordHash: user.passwordHash }),
    ...(user.passwordChangedAt === undefined ? {} : { passwordChangedAt: user.passwordChangedAt }),
    emailVerified: user.emailVerified,
    disabled: user.disabled,
    created: user.created,
  };
}

function toUser(doc: UserDoc | null): UserRecord | undefined {
  if (!doc) return undefined;
  return {
    id: doc._id,
    realm: doc.realm,
    email: doc.email,
    username: doc.username ?? undefined,
    passwordHash: doc.passwordHash ?? undefined,
    passwordChangedAt: doc.passwordChangedAt instanceof Date ? doc.passwordChangedAt : undefined,
    emailVerified: doc.emailVerified,
    disabled: doc.disabled === true,
    created: doc.created,
  };
}
