import { createUser, type CreateUserInput } from './accounts/create-user.js';
import { deleteUser } from './accounts/delete-user.js';
import { getUser } from './accounts/get-user.js';
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
import { logout } from './sessions/logout.js';
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
}

/**
 * Binds every use case to its context. While `storeAvailable` says the database is down, calls fail
 * at once (SERVICE_UNAVAILABLE) instead of waiting on the driver; whatever a use case throws leaves
 * as an AuthError, logged once here.
 */
export function createAuthCore(ctx: CoreContext, storeAvailable: () => boolean = () => true): AuthCore {
  const run = async <T>(useCase: () => Promise<T>): Promise<T> => {
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
  };
}
