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
  /** Whether a stored hash is weaker than what hash() makes now (a lower cost, an older format). */
  needsRehash(hash: string): boolean;
}

/** A single-use token for a user's email: a password reset or an email verification. */
interface TokenDelivery {
  email: string;
  userId: string;
  realm: string;
  /** A secret: it reaches the user only through the notifier, and is never logged in production. */
  token: string;
  expiresAt: Date;
}

/** An account that changed: disabled or enabled by an operator, deleted by an operator or its owner. */
interface AccountChange {
  email: string;
  userId: string;
  realm: string;
}

/** What the notifier hears of, by type; each carries what its receiver needs. */
export type Notice =
  | ({ type: 'password-reset' } & TokenDelivery)
  | ({ type: 'email-verification' } & TokenDelivery)
  | ({ type: 'user-disabled' } & AccountChange)
  | ({ type: 'user-enabled' } & AccountChange)
  | ({ type: 'user-deleted' } & AccountChange);

/** A notice as sent: with an id (a receiver drops repeats by it) and when it happened. */
export type AuthNotification = Notice & { id: string; occurredAt: Date };

/** The one way tokens for a user's email, and news of accounts, leave the service: a stream of typed events. */
export interface Notifier {
  /** Never throws: failures are logged (without the token). A retried delivery keeps the event's id. */
  notify(notification: AuthNotification): Promise<void>;
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
