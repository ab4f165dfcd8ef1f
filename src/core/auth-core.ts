import { createUser, type CreateUserInput } from './accounts/create-user.js';
import { deleteUser } from './accounts/delete-user.js';
import { confirmEmail, requestEmailVerification, requestEmailVerificationById } from './accounts/email-verification.js';
import { getUser } from './accounts/get-user.js';
import type { AdminUser } from './admin/admin-user.js';
import { deleteUser as deleteAnyUser } from './admin/delete-user.js';
import { disableUser, enableUser } from './admin/disable.js';
import { findUser, getUser as getAnyUser } from './admin/lookup.js';
import { revokeUserSessions } from './admin/revoke-sessions.js';
import type { PublicUser } from './accounts/public-user.js';
import { updateUser, type UserUpdate } from './accounts/update-user.js';
import type { CallOptions } from './call.js';
import type { CoreContext } from './context.js';
import { ErrorCode, StoreUnavailableError, toAuthError } from './errors.js';
import { listExternalIdentities, unlinkExternalIdentity, type LinkedIdentity } from './external/identities.js';
import type { BegunLogin } from './external/login-state.js';
import {
  completeExternalLogin,
  exchangeIdToken,
  startExternalLogin,
  startLinking,
  type CompletedExternalLogin,
  type CompleteExternalLoginInput,
  type ExchangeIdTokenInput,
  type StartExternalLoginInput,
} from './external/login.js';
import { changePassword } from './passwords/change.js';
import { resetPassword } from './passwords/reset.js';
import { setPassword } from './passwords/set.js';
import { login, type LoginInput, type LoginResult } from './sessions/login.js';
import { listSessions, type Session } from './sessions/list-sessions.js';
import { logout } from './sessions/logout.js';
import { revokeSession } from './sessions/revoke-session.js';
import { validateToken, type ValidateInput, type Validation } from './sessions/validate.js';

/** The use cases as the transports call them. Each resolves with its result or rejects with an AuthError. */
export interface AuthCore {
  login(input: LoginInput, call?: CallOptions): Promise<LoginResult>;
  logout(accessToken: string, allSessions?: boolean): Promise<number>;
  resetPassword(email: string, realm?: string): Promise<void>;
  setPassword(resetToken: string, newPassword: string, call?: CallOptions): Promise<void>;
  changePassword(accessToken: string, oldPassword: string, newPassword: string, call?: CallOptions): Promise<void>;
  validateToken(input: ValidateInput): Promise<Validation>;
  createUser(input: CreateUserInput, call?: CallOptions): Promise<PublicUser>;
  /** The caller's own account (the token must be one of that user's access tokens). */
  getUser(accessToken: string, userId: string): Promise<PublicUser>;
  updateUser(accessToken: string, userId: string, update: UserUpdate): Promise<PublicUser>;
  /** How many users were deleted: 1, or 0 when the account was already gone. */
  deleteUser(accessToken: string, userId: string): Promise<number>;
  startExternalLogin(input: StartExternalLoginInput): Promise<BegunLogin>;
  completeExternalLogin(input: CompleteExternalLoginInput): Promise<CompletedExternalLogin>;
  exchangeIdToken(input: ExchangeIdTokenInput): Promise<LoginResult>;
  linkExternalIdentity(accessToken: string, provider: string, redirectUri: string): Promise<BegunLogin>;
  listExternalIdentities(accessToken: string): Promise<LinkedIdentity[]>;
  unlinkExternalIdentity(accessToken: string, provider: string, subject: string): Promise<void>;
  /** The caller's live sessions; with `ownerId`, only if the token is that user's (AUTHORIZATION_REQUIRED otherwise). */
  listSessions(accessToken: string, ownerId?: string): Promise<Session[]>;
  /** Ends one of the caller's sessions; `ownerId` as for listSessions. */
  revokeSession(accessToken: string, sessionId: string, ownerId?: string): Promise<void>;
  /** Sends a fresh verification token to the account's unverified email; resolves whether or not there is one. */
  requestEmailVerification(email: string, realm?: string): Promise<void>;
  requestEmailVerificationById(userId: string): Promise<void>;
  confirmEmail(userId: string, token: string): Promise<void>;
}

/** The operators' use cases (AdminService), apart from AuthCore so that no public transport can reach them. */
export interface AdminCore {
  getUser(userId: string): Promise<AdminUser>;
  findUser(input: { email?: string; username?: string; realm?: string }): Promise<AdminUser>;
  disableUser(userId: string): Promise<{ user: AdminUser; revoked: number }>;
  enableUser(userId: string): Promise<AdminUser>;
  /** Answers the tokens revoked with the user. */
  deleteUser(userId: string): Promise<number>;
  revokeUserSessions(userId: string): Promise<number>;
}

/** Runs a use case: refused at once while the database is down; whatever it throws leaves as an AuthError, logged once. */
function runner(ctx: CoreContext, storeAvailable: () => boolean) {
  return async <T>(useCase: () => Promise<T>): Promise<T> => {
    try {
      if (!storeAvailable()) throw new StoreUnavailableError(new Error('health check failed'));
      return await useCase();
    } catch (err) {
      const error = toAuthError(err);
      if (error.code === ErrorCode.INTERNAL) ctx.logger.error({ err }, 'unexpected failure');
      else if (err instanceof StoreUnavailableError) ctx.logger.warn({ reason: err.message }, 'database unavailable');
      throw error;
    }
  };
}

/**
 * Binds every use case to its context. While `storeAvailable` says the database is down, calls fail
 * at once (SERVICE_UNAVAILABLE) instead of waiting on the driver.
 */
export function createAuthCore(ctx: CoreContext, storeAvailable: () => boolean = () => true): AuthCore {
  const run = runner(ctx, storeAvailable);
  return {
    login: (input, call) => run(() => login(ctx, input, call)),
    logout: (accessToken, allSessions) => run(() => logout(ctx, accessToken, allSessions)),
    resetPassword: (email, realm) => run(() => resetPassword(ctx, email, realm)),
    setPassword: (resetToken, newPassword, call) => run(() => setPassword(ctx, resetToken, newPassword, call)),
    changePassword: (accessToken, oldPassword, newPassword, call) =>
      run(() => changePassword(ctx, accessToken, oldPassword, newPassword, call)),
    validateToken: (input) => run(() => validateToken(ctx, input)),
    createUser: (input, call) => run(() => createUser(ctx, input, call)),
    getUser: (accessToken, userId) => run(() => getUser(ctx, accessToken, userId)),
    updateUser: (accessToken, userId, update) => run(() => updateUser(ctx, accessToken, userId, update)),
    deleteUser: (accessToken, userId) => run(() => deleteUser(ctx, accessToken, userId)),
    startExternalLogin: (input) => run(() => startExternalLogin(ctx, input)),
    completeExternalLogin: (input) => run(() => completeExternalLogin(ctx, input)),
    exchangeIdToken: (input) => run(() => exchangeIdToken(ctx, input)),
    linkExternalIdentity: (accessToken, provider, redirectUri) => run(() => startLinking(ctx, accessToken, provider, redirectUri)),
    listExternalIdentities: (accessToken) => run(() => listExternalIdentities(ctx, accessToken)),
    unlinkExternalIdentity: (accessToken, provider, subject) => run(() => unlinkExternalIdentity(ctx, accessToken, provider, subject)),
    listSessions: (accessToken, ownerId) => run(() => listSessions(ctx, accessToken, ownerId)),
    revokeSession: (accessToken, sessionId, ownerId) => run(() => revokeSession(ctx, accessToken, sessionId, ownerId)),
    requestEmailVerification: (email, realm) => run(() => requestEmailVerification(ctx, email, realm)),
    requestEmailVerificationById: (userId) => run(() => requestEmailVerificationById(ctx, userId)),
    confirmEmail: (userId, token) => run(() => confirmEmail(ctx, userId, token)),
  };
}

/** Binds the operators' use cases to their context, as createAuthCore does. */
export function createAdminCore(ctx: CoreContext, storeAvailable: () => boolean = () => true): AdminCore {
  const run = runner(ctx, storeAvailable);
  return {
    getUser: (userId) => run(() => getAnyUser(ctx, userId)),
    findUser: (input) => run(() => findUser(ctx, input)),
    disableUser: (userId) => run(() => disableUser(ctx, userId)),
    enableUser: (userId) => run(() => enableUser(ctx, userId)),
    deleteUser: (userId) => run(() => deleteAnyUser(ctx, userId)),
    revokeUserSessions: (userId) => run(() => revokeUserSessions(ctx, userId)),
  };
}
