/** The users aggregate: accounts with their password hash. Each operation is atomic on its own. */
export interface UserRecord {
  id: string;
  realm: string;
  /** Normalized by the core (see core/accounts/identity.ts). */
  email: string;
  /** As first given (NFKC by the core); unique and found without regard to case, see usernameKey. */
  username: string | undefined;
  /** Absent for an account made by an external login: password login is refused until a reset sets one. */
  passwordHash: string | undefined;
  /**
   * When a new password was last set here (SetPassword, ChangePassword), which revoked the user's
   * sessions; undefined while the password is the one the user was created or imported with (a
   * rehash at login changes the hash, not the password).
   */
  passwordChangedAt: Date | undefined;
  emailVerified: boolean;
  /** A disabled account cannot log in (AdminService.DisableUser). */
  disabled: boolean;
  created: Date;
}

/**
 * What makes two usernames the same one: `Ann`, `ANN` and `ann` are one username. Usernames reach
 * the store as ASCII (core/accounts/identity.ts), so lower-casing is their whole case folding.
 */
export const usernameKey = (username: string): string => username.toLowerCase();

export type UniqueField = 'email' | 'username';

/** What update may change; a field left out keeps its value. */
export type UserChanges = Partial<Pick<UserRecord, 'email' | 'username' | 'emailVerified' | 'disabled'>>;

/** Thrown by create and update when a unique field is taken in the realm. */
export class DuplicateKeyError extends Error {
  constructor(readonly field: UniqueField) {
    super(`duplicate ${field}`);
    this.name = 'DuplicateKeyError';
  }
}

export interface UserStore {
  /**
   * Throws DuplicateKeyError naming email first when both email and username are taken; a
   * username is taken when one with the same usernameKey exists in the realm.
   */
  create(user: UserRecord): Promise<void>;
  /**
   * As create, except that a user stored under the same id already is left as it is: false then,
   * true when inserted. For imports, which must change nothing when run again.
   */
  insertIfAbsent(user: UserRecord): Promise<boolean>;
  findById(id: string): Promise<UserRecord | undefined>;
  findByEmail(realm: string, email: string): Promise<UserRecord | undefined>;
  /** Matches without regard to case (usernameKey); the user keeps the username it was created with. */
  findByUsername(realm: string, username: string): Promise<UserRecord | undefined>;
  /** A new password: its hash, and `changedAt` as passwordChangedAt. No effect for an unknown user. */
  setPasswordHash(userId: string, passwordHash: string, changedAt: Date): Promise<void>;
  /**
   * Applies the changes and returns the user as it now is; undefined for an unknown user. Throws
   * DuplicateKeyError (email first, as create) when another user of the realm holds a new value.
   */
  update(userId: string, changes: UserChanges): Promise<UserRecord | undefined>;
  /**
   * The same password hashed anew (passwordChangedAt unchanged): sets the hash only if the stored
   * one is still `expected` (compare-and-set); whether it did.
   * Atomic on MongoDB and in memory; FerretDB 1.x reads, then writes, so there concurrent callers
   * must be kept apart by the caller (the core claims the old hash in the attempts store first).
   */
  replacePasswordHash(userId: string, expected: string, passwordHash: string): Promise<boolean>;
  /** Marks the email verified if the user still has this email; whether the user has it (verified now). */
  markEmailVerified(userId: string, email: string): Promise<boolean>;
  /** Whether there was such a user to delete. Its tokens and identities are the caller's to delete. */
  delete(userId: string): Promise<boolean>;
}
