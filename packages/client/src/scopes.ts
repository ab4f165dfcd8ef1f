/** RFC 6749 §3.3 scope-token: no space, quote or backslash, so a list fits a WWW-Authenticate header as is. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The required scopes of a protected route or server, checked once when it is set up. */
export function requiredScopesOf(scopes: readonly string[] | undefined): string[] {
  for (const scope of scopes ?? []) {
    if (!SCOPE_TOKEN.test(scope)) throw new TypeError(`requiredScopes: ${JSON.stringify(scope)} is not a scope (RFC 6749 scope-token)`);
  }
  return [...(scopes ?? [])];
}
