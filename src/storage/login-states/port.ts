/**
 * The login-states aggregate: what the service must remember between sending a browser to an
 * external provider and its return (state, nonce, PKCE verifier, …), kept server-side so that any
 * replica can finish what another began. Each is used once and expires.
 */
export interface LoginStateRecord {
  /** SHA-256 hex of the `state` parameter; the state itself is not stored. */
  stateHash: string;
  provider: string;
  /** Where the provider sends the browser back; the code exchange must name it again. */
  redirectUri: string;
  realm: string;
  /** Undefined for plain OAuth 2.0 providers, which have no ID token. */
  nonce: string | undefined;
  codeVerifier: string;
  /** SHA-256 hex of the secret the starting browser holds (a cookie on REST); undefined when none was set. */
  bindingHash: string | undefined;
  /** Set when a signed-in user links an identity rather than logging in. */
  linkUserId: string | undefined;
  /** Where the REST flow sends the browser after success; undefined for the default. */
  returnTo: string | undefined;
  created: Date;
  expiresAt: Date;
}

export interface LoginStateStore {
  insert(state: LoginStateRecord): Promise<void>;
  /**
   * Deletes and returns the state: of concurrent calls with one hash, one gets it. Expired states
   * may still be returned until the cleanup removes them: the core checks expiresAt.
   */
  take(stateHash: string): Promise<LoginStateRecord | undefined>;
}
