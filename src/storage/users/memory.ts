import { DuplicateKeyError, usernameKey, type UserChanges, type UserRecord, type UserStore } from './port.js';

const key = (realm: string, value: string): string => `${realm}\u0000${value}`;

/** Whether a unique value is held by another user than `userId`. */
const heldByOther = (holder: UserRecord | undefined, userId: string): boolean => holder !== undefined && holder.id !== userId;

/**
 * Users in maps, lost on restart. Every method runs inside one turn of the event loop, which makes
 * each atomic. Records are replaced, never mutated, so they are handed out without copying.
 */
export class MemoryUserStore implements UserStore {
  private readonly byId = new Map<string, UserRecord>();
  private readonly byEmail = new Map<string, UserRecord>();
  private readonly byUsername = new Map<string, UserRecord>();

  async create(user: UserRecord): Promise<void> {
    if (this.byEmail.has(key(user.realm, user.email))) throw new DuplicateKeyError('email');
    if (user.username !== undefined && this.byUsername.has(key(user.realm, usernameKey(user.username)))) {
      throw new DuplicateKeyError('username');
    }
    this.put({ ...user });
  }

  async insertIfAbsent(user: UserRecord): Promise<boolean> {
    if (this.byId.has(user.id)) return false;
    await this.create(user);
    return true;
  }

  private put(user: UserRecord): void {
    this.byId.set(user.id, user);
    this.byEmail.set(key(user.realm, user.email), user);
    if (user.username !== undefined) this.byUsername.set(key(user.realm, usernameKey(user.username)), user);
  }

  private remove(user: UserRecord): void {
    this.byId.delete(user.id);
    this.byEmail.delete(key(user.realm, user.email));
    if (user.username !== undefined) this.byUsername.delete(key(user.realm, usernameKey(user.username)));
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    return this.byId.get(id);
  }

  async findByEmail(realm: string, email: string): Promise<UserRecord | undefined> {
    return this.byEmail.get(key(realm, email));
  }

  async findByUsername(realm: string, username: string): Promise<UserRecord | undefined> {
    return this.byUsername.get(key(realm, usernameKey(username)));
  }

  async setPasswordHash(userId: string, passwordHash: string, changedAt: Date): Promise<void> {
    const user = this.byId.get(userId);
    if (user) this.put({ ...user, passwordHash, passwordChangedAt: changedAt });
  }

  async update(userId: string, changes: UserChanges): Promise<UserRecord | undefined> {
    const current = this.byId.get(userId);
    if (!current) return undefined;
    const given = Object.entries(changes).filter(([, value]) => value !== undefined);
    const next: UserRecord = { ...current, ...Object.fromEntries(given) };
    if (heldByOther(this.byEmail.get(key(next.realm, next.email)), userId)) throw new DuplicateKeyError('email');
    if (next.username !== undefined && heldByOther(this.byUsername.get(key(next.realm, usernameKey(next.username))), userId)) {
      throw new DuplicateKeyError('username');
    }
    this.remove(current);
    this.put(next);
    return next;
  }

  async delete(userId: string): Promise<boolean> {
    const user = this.byId.get(userId);
    if (user) this.remove(user);
    return user !== undefined;
  }

  async markEmailVerified(userId: string, email: string): Promise<boolean> {
    const user = this.byId.get(userId);
    if (user?.email !== email) return false;
    this.put({ ...user, emailVerified: true });
    return true;
  }

  async replacePasswordHash(userId: string, expected: string, passwordHash: string): Promise<boolean> {
    const user = this.byId.get(userId);
    if (user?.passwordHash !== expected) return false;
    this.put({ ...user, passwordHash });
    return true;
  }
}
