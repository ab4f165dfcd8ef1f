import { MongoClient, ObjectId, type Collection, type Document } from 'mongodb';
import type { LoopBackSource, SourceDocument } from '../core/ports.js';

export interface LoopBackSourceOptions {
  /** The LoopBack app's MongoDB. */
  uri: string;
  /** Its database. */
  dbName: string;
  /** Collection names: LoopBack names them after the models (User, AccessToken unless the app renamed them). */
  users: string;
  tokens: string;
  batchSize: number;
}

export interface LoopBackMongoSource extends LoopBackSource {
  close(): Promise<void>;
}

/** LoopBack's ids: ObjectIds, or strings where the app chose its own. */
type LoopBackDoc = Document & { _id: ObjectId | string };

/** Only what the import reads: a user's other fields (profile data an app added) stay in LoopBack's database. */
const USER_FIELDS = { email: 1, password: 1, username: 1, realm: 1, emailVerified: 1, created: 1 };
const TOKEN_FIELDS = { userId: 1, ttl: 1, created: 1, scopes: 1, principalType: 1 };

/** A LoopBack app's MongoDB (as loopback-connector-mongodb writes it), read with cursors a batch at a time. */
export async function openLoopBackSource(options: LoopBackSourceOptions): Promise<LoopBackMongoSource> {
  const client = new MongoClient(options.uri, { serverSelectionTimeoutMS: 10_000, readPreference: 'secondaryPreferred' });
  await client.connect();
  const db = client.db(options.dbName);
  const users = db.collection<LoopBackDoc>(options.users);
  const tokens = db.collection<LoopBackDoc>(options.tokens);

  async function* batches(collection: Collection<LoopBackDoc>, projection: Document): AsyncGenerator<SourceDocument[]> {
    let batch: SourceDocument[] = [];
    for await (const doc of collection.find({}, { projection, batchSize: options.batchSize })) {
      batch.push(toSourceDocument(doc));
      if (batch.length === options.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  return {
    async estimatedCounts() {
      return { users: await users.estimatedDocumentCount(), tokens: await tokens.estimatedDocumentCount() };
    },
    users: () => batches(users, USER_FIELDS),
    accessTokens: () => batches(tokens, TOKEN_FIELDS),
    async usersById(ids) {
      if (ids.length === 0) return [];
      const docs = await users.find({ _id: { $in: ids.flatMap(storedForms) } }, { projection: USER_FIELDS }).toArray();
      return docs.map(toSourceDocument);
    },
    async lastLogins(userIds) {
      const newest = new Map<string, Date>();
      if (userIds.length === 0) return newest;
      const cursor = tokens.find({ userId: { $in: userIds.flatMap(storedForms) } }, { projection: { userId: 1, created: 1 } });
      for await (const doc of cursor) {
        const { userId, created } = toSourceDocument(doc).fields;
        if (!(created instanceof Date) || typeof userId !== 'string') continue;
        const known = newest.get(userId);
        if (known === undefined || known < created) newest.set(userId, created);
      }
      return newest;
    },
    close: () => client.close(),
  };
}

/** How an id rendered by toSourceDocument may be stored: as an ObjectId, or as the string itself. */
function storedForms(id: string): Array<ObjectId | string> {
  return /^[0-9a-f]{24}$/.test(id) ? [new ObjectId(id), id] : [id];
}

const render = (value: unknown): unknown => (value instanceof ObjectId ? value.toHexString() : value);

function toSourceDocument(doc: Document): SourceDocument {
  const { _id: id, ...fields } = doc;
  return {
    id: typeof id === 'string' ? id : id instanceof ObjectId ? id.toHexString() : JSON.stringify(id),
    idTime: id instanceof ObjectId ? id.getTimestamp() : undefined,
    fields: Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, render(value)])),
  };
}
