import type { CallOptions } from './call.js';
import type { AuthError } from './errors.js';

/** The core's ports to the outside world other than storage (storage ports live in src/storage/). */

/**
 * Hashes and checks passwords; implemented by adapters/bcrypt-hasher.ts. A job whose caller is gone
 * before it starts is dropped (CANCELLED); one that could not be answered in time is refused (SERVICE_OVERLOADED).
 */
export interface PasswordHasher {
  hash(password: string, call?: CallOptions): Promise<string>;
  verify(password: string, hash: string, call?: CallOptions): Promise<boolean>;
  /** Spends the time of a verify against a hash no password matches, for unknown users. */
  verifyNothing(password: string, call?: CallOptions): Promise<false>;
  /** Whether a stored hash is weaker than what hash() makes now (a lower cost, an older format). */
  needsRehash(hash: string): boolean;
  /**
   * Why a check for this call would be refused now (SERVICE_OVERLOADED, CANCELLED), if it would:
   * asked before any other work for the call, so that a storm is shed at the cost of a lookup.
   */
  refusal(call?: CallOptions): AuthError | undefined;
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

/** An account at an external provider, as the provider described it after its checks passed. */
export interface ExternalProfile {
  /** The provider's stable id of the account. */
  subject: string;
  /** As the provider gave it, not yet normalized; undefined when it gave none. */
  email: string | undefined;
  /** Only true when the provider says so. */
  emailVerified: boolean;
  /** A few display claims (name, picture, …), strings only. */
  profile: Record<string, string>;
}

/** What the service keeps to finish a browser login it started: secrets, stored server-side. */
export interface AuthorizationStart {
  /** Where to send the browser. */
  url: string;
  state: string;
  /** Undefined for plain OAuth 2.0 providers, which issue no ID token. */
  nonce: string | undefined;
  codeVerifier: string;
}

/**
 * One configured provider: an OpenID Connect provider by discovery or a plain OAuth 2.0 one by its
 * endpoints; implemented by adapters/identity-providers/. Failures are AuthErrors:
 * PROVIDER_UNAVAILABLE when the provider cannot be reached in time, EXTERNAL_LOGIN_FAILED or
 * INVALID_ID_TOKEN when its answer does not pass the checks.
 */
export interface IdentityProvider {
  readonly name: string;
  /** Where a login may come back to; the exchange names it again. */
  readonly redirectUris: readonly string[];
  /** Whether an identity whose verified email matches an account's may be linked to it. */
  readonly linkByVerifiedEmail: boolean;
  /** A browser login with PKCE (S256), state and (OpenID Connect) nonce. */
  startAuthorization(redirectUri: string): Promise<AuthorizationStart>;
  /**
   * Checks the provider's answer (`callbackUrl`: the redirect URI with its query) against what
   * was kept, exchanges the code, checks the ID token, asks userinfo. Provider tokens are dropped.
   */
  completeAuthorization(callbackUrl: URL, expected: { state: string; nonce: string | undefined; codeVerifier: string }): Promise<ExternalProfile>;
  /**
   * An ID token obtained elsewhere (an app's SDK): signature against the provider's keys, issuer,
   * audience, times, nonce when given. INVALID_ARGUMENT for a provider without ID tokens.
   */
  verifyIdToken(idToken: string, expectedNonce: string | undefined, now: Date): Promise<ExternalProfile>;
}

/** The configured providers, by name. */
export interface IdentityProviders {
  find(name: string): IdentityProvider | undefined;
}

export const noIdentityProviders: IdentityProviders = { find: () => undefined };
