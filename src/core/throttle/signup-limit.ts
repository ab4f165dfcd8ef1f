import ipaddr from 'ipaddr.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { counterKey } from './counter-key.js';

/**
 * Where sign-ups are counted from: an IPv4 address, or the /64 network of an IPv6 address (one
 * host commonly holds a whole /64, so counting its addresses apart would count nothing). An
 * IPv4-mapped IPv6 address is its IPv4 address; a value that is no address counts as itself.
 */
export function signupSource(clientAddress: string): string {
  if (!ipaddr.isValid(clientAddress)) return clientAddress;
  const address = ipaddr.process(clientAddress);
  if (!(address instanceof ipaddr.IPv6)) return address.toString();
  return `${new ipaddr.IPv6([...address.parts.slice(0, 4), 0, 0, 0, 0]).toRFC5952String()}/64`;
}

/**
 * Counts one sign-up from the client's network in the realm; beyond signupMaxPerWindow in a window
 * of signupWindowMs (starting at the first), refuses it with TOO_MANY_ATTEMPTS and the time left.
 */
export async function countSignup(ctx: CoreContext, realm: string, clientAddress: string): Promise<void> {
  const now = ctx.now();
  // A window is [first, first + signupWindowMs): once retryAfterMs has passed, a sign-up counts anew.
  const windowStart = new Date(now.getTime() - ctx.policy.signupWindowMs + 1);
  const counter = await ctx.counters.hit(counterKey('signup', realm, signupSource(clientAddress)), now, windowStart);
  if (counter.count <= ctx.policy.signupMaxPerWindow) return;
  const retryAfterMs = counter.first.getTime() + ctx.policy.signupWindowMs - now.getTime();
  throw new AuthError(ErrorCode.TOO_MANY_ATTEMPTS, 'too many sign-ups from this address, try again later', { retryAfterMs });
}
