/**
 * Whether a token's scopes are exactly what the caller accepts: every required scope held, and no
 * scope held that the caller did not name (so a reset token never passes as an access token).
 */
export function scopesMatch(held: readonly string[], accepted: readonly string[]): boolean {
  const heldSet = new Set(held);
  return accepted.every((scope) => heldSet.has(scope)) && held.every((scope) => accepted.includes(scope));
}
