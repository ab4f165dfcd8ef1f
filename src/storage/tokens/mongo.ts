import type { Collection, Filter } from 'mongodb';
import { guarded, isDuplicateKey, literal } from '../mongo/errors.js';
import { BatchedLookup } from './batched-lookup.js';
import type { TokenRecord, TokenStore } from './port.js';

export interface TokenDoc {
  /** The token's SHA-256, so that a lookup is the _id index. */
  _id: string;
  sessionId: string;
  userId: string;
  realm: string;
  scopes: string[];
  created: Date;
  ttlSeconds: number;
  /** Absent for a token that never expires, which the TTL index then leaves alone. */
  expiresAt?: Date;
  lastUsed: Date;
  /** Absent when not known. */
  userAgent?: string;
  address?: string;
}

/**
 * Token lookups (ValidateToken, on every request of every caller) share queries under load: a
 * few queries at a time, each for every token asked meanwhile, which cuts the driver's CPU per
 * lookup several times over (16-40 µs against 100-160 µs, measured on FerretDB).
 */
const QUERIES_IN_FLIGHT = 4;
const QUERY_MAX_KEYS = 100;
/**
 * Fewer tokens than this are looked up one query each (still sent together). MongoDB serves
 * `_id: {$in}` from the _id index either way, but FerretDB 1.x hands only `_id: <string>` to
 * SQLite and filters `$in` itself over the whole collection: measured there, a batch of about
 * five tokens was 20 % slower as one `$in` than as five queries.
 */
const QUERY_MIN_IN_KEYS = 8;

/**
 * Tokens in the `accessTokens` collection. FerretDB's deletes are atomic (deletedCount is exact)
 * but its findAndModify reads, then writes, without a lock: see take.
 */
export class MongoTokenStore implements TokenStore {
  private readonly lookup = new BatchedLookup<TokenDoc>((hashes) => this.findMany(hashes), QUERIES_IN_FLIGHT, QUERY_MAX_KEYS);

  constructor(readonly collection: Collection<TokenDoc>) {}

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ userId: 1 }, { name: 'userId' });
  }

  insert(token: TokenRecord): Promise<void> {
    return guarded(async () => {
      await this.collection.insertOne(toDoc(token));
    });
  }

  /** The hash is the only unique key, so a duplicate-key error means the token is stored already. */
  insertIfAbsent(token: TokenRecord): Promise<boolean> {
    return guarded(async () => {
      try {
        await this.collection.insertOne(toDoc(token));
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    });
  }

  find(hash: string): Promise<TokenRecord | undefined> {
    return guarded(async () => toToken((await this.lookup.load(literal(hash))) ?? null));
  }

  private async findMany(hashes: string[]): Promise<Map<string, TokenDoc>> {
    const docs =
      hashes.length < QUERY_MIN_IN_KEYS
        ? await Promise.all(hashes.map((hash) => this.collection.findOne({ _id: hash })))
        : await this.collection.find({ _id: { $in: hashes } }).toArray();
    return new Map(docs.flatMap((doc) => (doc ? [[doc._id, doc] as const] : [])));
  }

  listByUser(userId: string): Promise<TokenRecord[]> {
    return guarded(async () => (await this.collection.find({ userId: literal(userId) }).toArray()).flatMap((doc) => toToken(doc) ?? []));
  }

  take(hash: string): Promise<TokenRecord | undefined> {
    return this.takeOne({ _id: literal(hash) });
  }

  takeSession(userId: string, sessionId: string): Promise<TokenRecord | undefined> {
    return this.takeOne({ userId: literal(userId), sessionId: literal(sessionId) });
  }

  /**
   * Read, then delete: whoever's delete removes the document owns it. findOneAndDelete would be
   * one round trip on MongoDB, but on FerretDB two concurrent calls can both get the document.
   */
  private takeOne(filter: Filter<TokenDoc>): Promise<TokenRecord | undefined> {
    return guarded(async () => {
      const doc = await this.collection.findOne(filter);
      if (!doc) return undefined;
      const { deletedCount } = await this.collection.deleteOne({ _id: doc._id });
      return deletedCount === 1 ? toToken(doc) : undefined;
    });
  }

  deleteByUser(userId: string, keepHash?: string): Promise<number> {
    return guarded(async () => {
      const filter = keepHash === undefined ? { userId: literal(userId) } : { userId: literal(userId), _id: { $ne: literal(keepHash) } };
      return (await this.collection.deleteMany(filter)).deletedCount;
    });
  }

  trimUser(userId: string, keep: number): Promise<string[]> {
    return guarded(async () => {
      const excess = await this.collection
        .find({ userId: literal(userId) }, { projection: { _id: 1 }, sort: { created: -1, _id: 1 }, skip: keep })
        .toArray();
      const hashes = excess.map((doc) => doc._id);
      if (hashes.length > 0) await this.collection.deleteMany({ _id: { $in: hashes } });
      return hashes;
    });
  }

  touch(hash: string, at: Date): Promise<void> {
    return guarded(async () => {
      await this.collection.updateOne({ _id: literal(hash), lastUsed: { $lt: at } }, { $set: { lastUsed: at } });
    });
  }
}

function toDoc(token: TokenRecord): TokenDoc {
  return {
    _id: token.hash,
    sessionId: token.sessionId,
    userId: token.userId,
    realm: token.realm,
    scopes: [...token.scopes],
    created: token.created,
    ttlSeconds: token.ttlSeconds,
    ...(token.expiresAt === undefined ? {} : { expiresAt: token.expiresAt }),
    lastUsed: token.lastUsed,
    ...(token.userAgent === undefined ? {} : { userAgent: token.userAgent }),
    ...(token.address === undefined ? {} : { address: token.address }),
  };
}

function toToken(doc: TokenDoc | null): TokenRecord | undefined {
  if (!doc) return undefined;
  return {
    hash: doc._id,
    sessionId: doc.sessionId,
    userId: doc.userId,
    realm: doc.realm,
    scopes: [...doc.scopes],
    created: doc.created,
    ttlSeconds: doc.ttlSeconds,
    expiresAt: doc.expiresAt instanceof Date ? doc.expiresAt : undefined,
    lastUsed: doc.lastUsed,
    userAgent: doc.userAgent ?? undefined,
    address: doc.address ?? undefined,
  };
}
