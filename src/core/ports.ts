import type { CallOptions } from './call.js';

/** The core's ports to the outside world other than storage (storage ports live in src/storage/). */

/**
 * Hashes and checks passwords; implemented by adapters/bcrypt-hasher.ts. A job whose caller is gone
 * before it starts is dropped (CANCELLED); one that cannot start in time is refused (SERVICE_OVERLOADED).
 */
export interface PasswordHasher {
  hash(password: string, call?: CallOptions): Promise<string>;
  verify(password: string, hash: string, call?: CallOptions): Promise<boolean>;
  /** Spends the time of a verify against a hash no password matches, for unknown users. */
  verifyNothing(password: string, call?: CallOptions): Promise<false>;
}

/** What a user needs to finish a password reset; the token is a secret and is never logged in production. */
export interface PasswordReset {
  email: string;
  userId: string;
  realm: string;
  token: string;
  expiresAt: Date;
}

/** The one way a reset token leaves the service. */
export interface ResetNotifier {
  /** Never throws: failures are logged (without the token). */
  notify(reset: PasswordReset): Promise<void>;
}

/**
 * A document read from a LoopBack app's MongoDB: its `_id` as text (an ObjectId as its hex
 * string), the other top-level fields as stored, with ObjectIds among them as hex strings too.
 */
export interface SourceDocument {
  id: string;
  /** When the `_id` is an ObjectId: the time it holds, which is when LoopBack created the document. */
  idTime: Date | undefined;
  fields: Readonly<Record<string, unknown>>;
}

/** LoopBack's users and access tokens, read in batches; implemented by adapters/loopback-source.ts. */
export interface LoopBackSource {
  /** Roughly how many users and tokens there are, for progress. */
  estimatedCounts(): Promise<{ users: number; tokens: number }>;
  /** Every user document, a batch at a time; each call reads the collection anew. */
  users(): AsyncIterable<SourceDocument[]>;
  /** Every access token document, a batch at a time. */
  accessTokens(): AsyncIterable<SourceDocument[]>;
  /** The user documents with these ids (as rendered in SourceDocument.id). */
  usersById(ids: readonly string[]): Promise<SourceDocument[]>;
  /** For each of these users that has access tokens: when the newest was created. */
  lastLogins(userIds: readonly string[]): Promise<Map<string, Date>>;
}
