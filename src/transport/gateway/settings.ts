import type { IdentityHeaderNames } from './access.js';
import type { TokenSources } from './credentials.js';

/** What the operator configures of the gateways (AUTHZ_* settings). */
export interface GatewaySettings {
  tokenSources: TokenSources;
  identityHeaders: IdentityHeaderNames;
  /** Envoy ext_authz: remove Authorization before the request goes upstream. */
  removeAuthorization: boolean;
}
