import ipaddr from 'ipaddr.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { attemptKey } from './attempt-key.js';
import { admitAttempt } from './attempts.js';

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
 * Counts one sign-up from the client's network in the realm: signupMaxPerWindow of them, then none
 * until signupWindowMs after the latest counted one (TOO_MANY_ATTEMPTS with the time left).
 */
export async function countSignup(ctx: CoreContext, realm: string, clientAddress: string): Promise<void> {
  const { signupMaxPerWindow, signupWindowMs } = ctx.policy;
  const admission = await admitAttempt(ctx, attemptKey('signup', realm, signupSource(clientAddress)), signupWindowMs, ({ count, latest }, now) =>
    count < signupMaxPerWindow || !latest ? 0 : latest.at.getTime() + signupWindowMs - now.getTime(),
  );
  if (!admission.admitted) {
    throw new AuthError(ErrorCode.TOO_MANY_ATTEMPTS, 'too many sign-ups from this address, try again later', {
      retryAfterMs: admission.retryAfterMs,
    });
  }
}
