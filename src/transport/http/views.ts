import type { PublicUser } from '../../core/accounts/public-user.js';
import type { LoginResult } from '../../core/sessions/login.js';
import type { IssuedToken } from '../../core/sessions/tokens.js';
import type { Validation } from '../../core/sessions/validate.js';

/**
 * LoopBack's JSON shapes of the use-case results, and response schemas that serialize exactly the
 * listed keys, so that a field added to a result (a hash, say) can never leak by accident.
 */

export interface UserView {
  id: string;
  email: string;
  username?: string;
  realm?: string;
  emailVerified: boolean;
  created: string;
}

export function userView(user: PublicUser): UserView {
  const view: UserView = { id: user.id, email: user.email, emailVerified: user.emailVerified, created: user.created.toISOString() };
  if (user.username) view.username = user.username;
  if (user.realm) view.realm = user.realm;
  return view;
}

/** LoopBack's AccessToken: ttl in seconds (-1: never expires), created as an ISO string. */
export function loginView({ token, user }: LoginResult): { id: string; ttl: number; created: string; userId: string; user?: UserView } {
  const view = tokenView(token);
  return user ? { ...view, user: userView(user) } : view;
}

function tokenView(token: IssuedToken): { id: string; ttl: number; created: string; userId: string } {
  return { id: token.id, ttl: token.ttlSeconds, created: token.created.toISOString(), userId: token.userId };
}

export interface ValidationView {
  active: boolean;
  userId?: string;
  realm?: string;
  scopes?: string[];
  ttl?: number;
  created?: string;
  expiresAt?: string;
  user?: UserView;
}

export function validationView(result: Validation): ValidationView {
  if (!result.active) return { active: false };
  const view: ValidationView = {
    active: true,
    userId: result.userId,
    scopes: result.scopes,
    ttl: result.ttlSeconds,
    created: result.created.toISOString(),
  };
  if (result.expiresAt) view.expiresAt = result.expiresAt.toISOString();
  if (result.realm) view.realm = result.realm;
  if (result.user) view.user = userView(result.user);
  return view;
}

const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    username: { type: 'string' },
    realm: { type: 'string' },
    emailVerified: { type: 'boolean' },
    created: { type: 'string' },
  },
  required: ['id', 'email', 'emailVerified', 'created'],
};

export const responses = {
  login: {
    200: {
      type: 'object',
      properties: { id: { type: 'string' }, ttl: { type: 'integer' }, created: { type: 'string' }, userId: { type: 'string' }, user: userSchema },
      required: ['id', 'ttl', 'created', 'userId'],
    },
  },
  user: { 200: userSchema },
  /** LoopBack's answer to a delete: how many were deleted. */
  count: { 200: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] } },
  validate: {
    200: {
      type: 'object',
      properties: {
        active: { type: 'boolean' },
        userId: { type: 'string' },
        realm: { type: 'string' },
        scopes: { type: 'array', items: { type: 'string' } },
        ttl: { type: 'integer' },
        created: { type: 'string' },
        expiresAt: { type: 'string' },
        user: userSchema,
      },
      required: ['active'],
    },
  },
} as const;
