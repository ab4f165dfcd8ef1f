import type { IncomingMessage, ServerResponse } from 'node:http';
import { whenDecided, type AuthClient } from './client.js';
import { httpRefusal } from './http.js';
import { requiredScopesOf } from './scopes.js';
import type { AuthContext } from './token-check.js';

declare global {
  // Express declares its Request in this global namespace; merging into it types `req.auth`.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The caller, on every route behind expressAuth. */
      auth?: AuthContext;
    }
  }
}

export interface ExpressAuthOptions {
  /** Scopes the token must hold. */
  requiredScopes?: string[];
}

/**
 * Express or Connect middleware: lets a request through with `req.auth` set only when it carries
 * an active token holding the required scopes; answers 401/403 with WWW-Authenticate otherwise,
 * and 503 when the service cannot be reached.
 */
export function expressAuth(client: AuthClient, options: ExpressAuthOptions = {}) {
  const requiredScopes = requiredScopesOf(options.requiredScopes);
  return (req: IncomingMessage & { auth?: AuthContext }, res: ServerResponse, next: (err?: unknown) => void): void => {
    whenDecided(client, req.headers.authorization, requiredScopes, (verdict) => {
      if (verdict.ok) {
        req.auth = verdict.auth;
        next();
        return;
      }
      const refusal = httpRefusal(verdict, requiredScopes);
      res.writeHead(refusal.status, refusal.headers).end(refusal.body);
    });
  };
}
