import { randomBytes } from 'node:crypto';

const SESSION_ID_PATTERN = /^[0-9a-f]{32}$/;

/**
 * A session's public name: 128 random bits in hex, drawn apart from the token, so that showing it
 * (to its owner, in a list of sessions) tells nothing of the token or its hash.
 */
export function newSessionId(): string {
  return randomBytes(16).toString('hex');
}

/** Whether a string could be a session id at all; anything else names no session, without a lookup. */
export function isWellFormedSessionId(id: string): boolean {
  return SESSION_ID_PATTERN.test(id);
}
