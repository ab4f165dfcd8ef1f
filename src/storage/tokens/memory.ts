import type { TokenRecord, TokenStore } from './port.js';

/** Newest first, ties broken by hash so that every store trims the same tokens. */
export const newestFirst = (a: TokenRecord, b: TokenRecord): number =>
  b.created.getTime() - a.created.getTime() || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0);

/**
 * Tokens in maps, lost on restart; each method is atomic (one turn of the event loop). Records are
 * replaced, never mutated, so they are handed out without copying.
 */
export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();
  /** userId → hashes of its tokens, so that per-user operations cost the user's tokens, not everyone's. */
  private readonly byUser = new Map<string, Set<string>>();

  async insert(token: TokenRecord): Promise<void> {
    this.tokens.set(token.hash, { ...token, scopes: [...token.scopes] });
    const hashes = this.byUser.get(token.userId);
    if (hashes) hashes.add(token.hash);
    else this.byUser.set(token.userId, new Set([token.hash]));
  }

  async insertIfAbsent(token: TokenRecord): Promise<boolean> {
    if (this.tokens.has(token.hash)) return false;
    await this.insert(token);
    return true;
  }

  async find(hash: string): Promise<TokenRecord | undefined> {
    return this.tokens.get(hash);
  }

  async listByUser(userId: string): Promise<TokenRecord[]> {
    return this.ofUser(userId);
  }

  async take(hash: string): Promise<TokenRecord | undefined> {
    const token = this.tokens.get(hash);
    if (token) this.remove(token);
    return token;
  }

  async takeSession(userId: string, sessionId: string): Promise<TokenRecord | undefined> {
    const token = this.ofUser(userId).find((candidate) => candidate.sessionId === sessionId);
    if (token) this.remove(token);
    return token;
  }

  async deleteByUser(userId: string, keepHash?: string): Promise<number> {
    let deleted = 0;
    for (const token of this.ofUser(userId)) {
      if (token.hash !== keepHash) {
        this.remove(token);
        deleted++;
      }
    }
    return deleted;
  }

  async trimUser(userId: string, keep: number): Promise<string[]> {
    const excess = this.ofUser(userId).sort(newestFirst).slice(keep);
    for (const token of excess) this.remove(token);
    return excess.map((token) => token.hash);
  }

  async touch(hash: string, at: Date): Promise<void> {
    const token = this.tokens.get(hash);
    if (token && token.lastUsed < at) this.tokens.set(hash, { ...token, lastUsed: at });
  }

  /** Drops tokens past their expiry; the embedded backend's sweep calls it. */
  sweep(now: Date): number {
    let dropped = 0;
    for (const token of this.tokens.values()) {
      if (token.expiresAt !== undefined && token.expiresAt <= now) {
        this.remove(token);
        dropped++;
      }
    }
    return dropped;
  }

  private ofUser(userId: string): TokenRecord[] {
    return [...(this.byUser.get(userId) ?? [])].flatMap((hash) => this.tokens.get(hash) ?? []);
  }

  private remove(token: TokenRecord): void {
    this.tokens.delete(token.hash);
    const hashes = this.byUser.get(token.userId);
    hashes?.delete(token.hash);
    if (hashes?.size === 0) this.byUser.delete(token.userId);
  }
}
