import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import type { IdentityProvider } from '../ports.js';

/** The configured provider of that name, else UNKNOWN_PROVIDER. */
export function requireProvider(ctx: CoreContext, name: string): IdentityProvider {
  const provider = ctx.providers.find(name);
  if (!provider) throw new AuthError(ErrorCode.UNKNOWN_PROVIDER, 'no identity provider of that name is configured');
  return provider;
}
