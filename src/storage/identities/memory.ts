import { DuplicateIdentityError, type IdentityRecord, type IdentityRefresh, type IdentityStore } from './port.js';

/** One key per (provider, subject); a provider name never holds NUL. */
const key = (provider: string, subject: string): string => `${provider}\u0000${subject}`;

const copy = (identity: IdentityRecord): IdentityRecord => ({ ...identity, profile: { ...identity.profile } });

/** Identities in a map, lost on restart; each method is atomic (one turn of the event loop). */
export class MemoryIdentityStore implements IdentityStore {
  private readonly identities = new Map<string, IdentityRecord>();

  async insert(identity: IdentityRecord): Promise<void> {
    const k = key(identity.provider, identity.subject);
    if (this.identities.has(k)) throw new DuplicateIdentityError();
    this.identities.set(k, copy(identity));
  }

  async find(provider: string, subject: string): Promise<IdentityRecord | undefined> {
    const identity = this.identities.get(key(provider, subject));
    return identity && copy(identity);
  }

  async listByUser(userId: string): Promise<IdentityRecord[]> {
    return [...this.identities.values()]
      .filter((identity) => identity.userId === userId)
      .sort((a, b) => a.created.getTime() - b.created.getTime())
      .map(copy);
  }

  async refresh(provider: string, subject: string, refresh: IdentityRefresh): Promise<void> {
    const k = key(provider, subject);
    const identity = this.identities.get(k);
    if (identity) this.identities.set(k, copy({ ...identity, ...refresh }));
  }

  async delete(provider: string, subject: string, userId: string): Promise<boolean> {
    const k = key(provider, subject);
    if (this.identities.get(k)?.userId !== userId) return false;
    return this.identities.delete(k);
  }

  async deleteByUser(userId: string): Promise<number> {
    let deleted = 0;
    for (const [k, identity] of this.identities) {
      if (identity.userId === userId && this.identities.delete(k)) deleted++;
    }
    return deleted;
  }
}
