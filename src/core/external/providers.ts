import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import type { IdentityProvider } from '../ports.js';

/**
 * What a provider's name may be: it appears in URLs (`/auth/{name}`), cookie names, metrics labels
 * and identity keys, so a small alphabet without `:`.
 */
export const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** The configured provider of that name, else UNKNOWN_PROVIDER. */
export function requireProvider(ctx: CoreContext, name: string): IdentityProvider {
  const provider = ctx.providers.find(name);
  if (!provider) throw new AuthError(ErrorCode.UNKNOWN_PROVIDER, 'no identity provider of that name is configured');
  return provider;
}
