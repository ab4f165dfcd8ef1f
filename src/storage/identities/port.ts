/**
 * The identities aggregate: accounts at external providers (Google, GitHub, any OpenID Connect
 * provider) linked to users, as LoopBack's UserIdentity. One identity is one (provider, subject):
 * it belongs to at most one user; a user may hold several.
 */
export interface IdentityRecord {
  /** The provider's configured name. */
  provider: string;
  /** The provider's stable id of the account (`sub`, or the mapped claim). */
  subject: string;
  userId: string;
  /** As the provider gave it at the latest login, normalized; undefined when it gave none we accept. */
  email: string | undefined;
  emailVerified: boolean;
  /** A few display claims (name, picture, …) as the provider gave them. Never its tokens. */
  profile: Readonly<Record<string, string>>;
  created: Date;
  lastLogin: Date;
}

/** What a later login refreshes on an identity. */
export type IdentityRefresh = Pick<IdentityRecord, 'email' | 'emailVerified' | 'profile' | 'lastLogin'>;

/** Thrown by insert when the (provider, subject) is already linked, to this user or another. */
export class DuplicateIdentityError extends Error {
  constructor() {
    super('identity already linked');
    this.name = 'DuplicateIdentityError';
  }
}

export interface IdentityStore {
  /** Of concurrent inserts of one (provider, subject), exactly one succeeds; the others throw DuplicateIdentityError. */
  insert(identity: IdentityRecord): Promise<void>;
  find(provider: string, subject: string): Promise<IdentityRecord | undefined>;
  /** The user's identities, oldest first. */
  listByUser(userId: string): Promise<IdentityRecord[]>;
  /** No effect when the identity is not there. */
  refresh(provider: string, subject: string, refresh: IdentityRefresh): Promise<void>;
  /** Deletes the identity only if it belongs to the user; whether it did. */
  delete(provider: string, subject: string, userId: string): Promise<boolean>;
  /** Deletes every identity of the user (their account is gone); how many. */
  deleteByUser(userId: string): Promise<number>;
}
