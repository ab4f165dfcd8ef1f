import type { IdentityProvider, IdentityProviders } from '../../core/ports.js';
import type { ProviderSettings } from '../../identity-providers-config.js';
import { ExternalIdentityProvider, type ProviderOptions } from './provider.js';

/** Every configured provider, found by its exact name. */
export function createIdentityProviders(settings: readonly ProviderSettings[], options: ProviderOptions): IdentityProviders {
  const byName = new Map<string, IdentityProvider>(settings.map((provider) => [provider.name, new ExternalIdentityProvider(provider, options)]));
  return { find: (name) => byName.get(name) };
}
