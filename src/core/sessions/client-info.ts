import type { CallOptions } from '../call.js';

/** Longest user agent kept; browsers send 100-300 characters, anything longer is cut. */
const MAX_USER_AGENT_CHARS = 256;
/** An IPv6 address with a zone is at most 45 + a zone name; nothing longer is an address. */
const MAX_ADDRESS_CHARS = 64;
/** Control, format and separator characters, and lone surrogates: never kept, so a stored value prints as one plain line. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** A caller-supplied string as kept: unprintable characters dropped, cut to `max` code points; undefined when nothing is left. */
function bounded(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const kept = [...value.replace(UNPRINTABLE, '')].slice(0, max).join('').trim();
  return kept === '' ? undefined : kept;
}

/** Where a session was opened from, as a token keeps it. */
export interface ClientInfo {
  userAgent: string | undefined;
  address: string | undefined;
}

export function clientInfo(call: CallOptions): ClientInfo {
  return { userAgent: bounded(call.userAgent, MAX_USER_AGENT_CHARS), address: bounded(call.clientAddress, MAX_ADDRESS_CHARS) };
}
