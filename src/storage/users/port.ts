/** The users aggregate: accounts with their password hash. Each operation is atomic on its own. */
export interface UserRecord {
  id: string;
  realm: string;
  /** Normalized by the core (see core/accounts/identity.ts). */
  email: string;
  username: string | undefined;
  passwordHash: string;
  emailVerified: boolean;
  created: Date;
}

export type UniqueField = 'email' | 'username';

/** Thrown by create when a unique field is taken in the realm. */
export class DuplicateKeyError extends Error {
  constructor(readonly field: UniqueField) {
    super(`duplicate ${field}`);
    this.name = 'DuplicateKeyError';
  }
}

export interface UserStore {
  /** Throws DuplicateKeyError naming email first when both email and username are taken. */
  create(user: UserRecord): Promise<void>;
  /**
   * As create, except that a user stored under the same id already is left as it is: false then,
   * true when inserted. For imports, which must change nothing when run again.
   */
  insertIfAbsent(user: UserRecord): Promise<boolean>;
  findById(id: string): Promise<UserRecord | undefined>;
  findByEmail(realm: string, email: string): Promise<UserRecord | undefined>;
  findByUsername(realm: string, username: string): Promise<UserRecord | undefined>;
  /** No effect for an unknown user. */
  setPasswordHash(userId: string, passwordHash: string): Promise<void>;
}
