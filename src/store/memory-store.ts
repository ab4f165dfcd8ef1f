import { DuplicateKeyError, type Counter, type Store, type TokenRecord, type UserRecord } from './store.js';

/**
 * The embedded store for development and tests: plain maps, lost on restart. Every
 * method runs synchronously inside one turn of the event loop, which makes each atomic.
 * Stored records are never mutated, only replaced, so they are handed out without copying.
 */
export class MemoryStore implements Store {
  private readonly users = new Map<string, UserRecord>();
  private readonly usersByEmail = new Map<string, UserRecord>();
  private readonly usersByUsername = new Map<string, UserRecord>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly counters = new Map<string, Counter>();

  async init(): Promise<void> {}

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  async createUser(user: UserRecord): Promise<void> {
    const emailKey = `${user.realm}\u0000${user.email}`;
    const usernameKey = user.username === undefined ? undefined : `${user.realm}\u0000${user.username}`;
    if (this.usersByEmail.has(emailKey)) throw new DuplicateKeyError('email');
    if (usernameKey !== undefined && this.usersByUsername.has(usernameKey)) throw new DuplicateKeyError('username');
    this.putUser({ ...user });
  }

  private putUser(user: UserRecord): void {
    this.users.set(user.id, user);
    this.usersByEmail.set(`${user.realm}\u0000${user.email}`, user);
    if (user.username !== undefined) this.usersByUsername.set(`${user.realm}\u0000${user.username}`, user);
  }

  async findUserById(id: string): Promise<UserRecord | undefined> {
    return this.users.get(id);
  }

  async findUserByEmail(realm: string, email: string): Promise<UserRecord | undefined> {
    return this.usersByEmail.get(`${realm}\u0000${email}`);
  }

  async findUserByUsername(realm: string, username: string): Promise<UserRecord | undefined> {
    return this.usersByUsername.get(`${realm}\u0000${username}`);
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    const user = this.users.get(userId);
    if (user) this.putUser({ ...user, passwordHash });
  }

  async insertToken(token: TokenRecord): Promise<void> {
    this.tokens.set(token.hash, { ...token, scopes: [...token.scopes] });
  }

  async findToken(hash: string): Promise<TokenRecord | undefined> {
    return this.tokens.get(hash);
  }

  async takeToken(hash: string): Promise<TokenRecord | undefined> {
    const token = this.tokens.get(hash);
    this.tokens.delete(hash);
    return token;
  }

  async deleteUserTokens(userId: string, keepHash?: string): Promise<number> {
    let deleted = 0;
    for (const [hash, token] of this.tokens) {
      if (token.userId === userId && hash !== keepHash) {
        this.tokens.delete(hash);
        deleted++;
      }
    }
    return deleted;
  }

  async hitCounter(key: string, now: Date, windowStart: Date): Promise<Counter> {
    const current = this.counters.get(key);
    const counter =
      current && current.first >= windowStart
        ? { count: current.count + 1, first: current.first, last: now }
        : { count: 1, first: now, last: now };
    this.counters.set(key, counter);
    return counter;
  }

  async getCounter(key: string): Promise<Counter | undefined> {
    return this.counters.get(key);
  }

  async deleteCounter(key: string): Promise<void> {
    this.counters.delete(key);
  }
}
