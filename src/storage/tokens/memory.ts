import type { TokenRecord, TokenStore } from './port.js';

/** Tokens in a map, lost on restart; each method is atomic (one turn of the event loop). */
export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();

  async insert(token: TokenRecord): Promise<void> {
    this.tokens.set(token.hash, { ...token, scopes: [...token.scopes] });
  }

  async find(hash: string): Promise<TokenRecord | undefined> {
    return this.tokens.get(hash);
  }

  async take(hash: string): Promise<TokenRecord | undefined> {
    const token = this.tokens.get(hash);
    this.tokens.delete(hash);
    return token;
  }

  async deleteByUser(userId: string, keepHash?: string): Promise<number> {
    let deleted = 0;
    for (const [hash, token] of this.tokens) {
      if (token.userId === userId && hash !== keepHash) {
        this.tokens.delete(hash);
        deleted++;
      }
    }
    return deleted;
  }
}
