import type { Collection } from 'mongodb';
import { guarded, isDuplicateKey, literal } from '../mongo/errors.js';
import { DuplicateIdentityError, type IdentityRecord, type IdentityRefresh, type IdentityStore } from './port.js';

export interface IdentityDoc {
  /**
   * `<provider>:<subject>`: the _id index is what makes (provider, subject) unique, on MongoDB and
   * FerretDB alike. Provider names hold no `:`, so the split is unambiguous.
   */
  _id: string;
  provider: string;
  subject: string;
  userId: string;
  /** Absent when the provider gave none. */
  email?: string;
  emailVerified: boolean;
  profile: Record<string, string>;
  created: Date;
  lastLogin: Date;
}

const idOf = (provider: string, subject: string): string => `${literal(provider)}:${literal(subject)}`;

/** Identities in the `identities` collection. */
export class MongoIdentityStore implements IdentityStore {
  constructor(private readonly identities: Collection<IdentityDoc>) {}

  async ensureIndexes(): Promise<void> {
    await this.identities.createIndex({ userId: 1 }, { name: 'userId' });
  }

  insert(identity: IdentityRecord): Promise<void> {
    return guarded(async () => {
      try {
        await this.identities.insertOne({
          _id: idOf(identity.provider, identity.subject),
          provider: identity.provider,
          subject: identity.subject,
          userId: identity.userId,
          ...(identity.email === undefined ? {} : { email: identity.email }),
          emailVerified: identity.emailVerified,
          profile: { ...identity.profile },
          created: identity.created,
          lastLogin: identity.lastLogin,
        });
      } catch (err) {
        if (isDuplicateKey(err)) throw new DuplicateIdentityError();
        throw err;
      }
    });
  }

  find(provider: string, subject: string): Promise<IdentityRecord | undefined> {
    return guarded(async () => toIdentity(await this.identities.findOne({ _id: idOf(provider, subject) })));
  }

  listByUser(userId: string): Promise<IdentityRecord[]> {
    return guarded(async () => {
      const docs = await this.identities.find({ userId: literal(userId) }, { sort: { created: 1, _id: 1 } }).toArray();
      return docs.flatMap((doc) => toIdentity(doc) ?? []);
    });
  }

  refresh(provider: string, subject: string, refresh: IdentityRefresh): Promise<void> {
    return guarded(async () => {
      const { email, ...rest } = refresh;
      await this.identities.updateOne(
        { _id: idOf(provider, subject) },
        email === undefined ? { $set: { ...rest, profile: { ...rest.profile } }, $unset: { email: '' } } : { $set: { ...rest, profile: { ...rest.profile }, email } },
      );
    });
  }

  delete(provider: string, subject: string, userId: string): Promise<boolean> {
    return guarded(async () => (await this.identities.deleteOne({ _id: idOf(provider, subject), userId: literal(userId) })).deletedCount === 1);
  }

  deleteByUser(userId: string): Promise<number> {
    return guarded(async () => (await this.identities.deleteMany({ userId: literal(userId) })).deletedCount);
  }
}

function toIdentity(doc: IdentityDoc | null): IdentityRecord | undefined {
  if (!doc) return undefined;
  return {
    provider: doc.provider,
    subject: doc.subject,
    userId: doc.userId,
    email: doc.email ?? undefined,
    emailVerified: doc.emailVerified,
    profile: { ...doc.profile },
    created: doc.created,
    lastLogin: doc.lastLogin,
  };
}
