import type { Metadata } from '@grpc/grpc-js';
import type { PublicUser } from '../../core/accounts/public-user.js';
import type { AuthCore } from '../../core/auth-core.js';
import type { LinkedIdentity } from '../../core/external/identities.js';
import type { LoginResult } from '../../core/sessions/login.js';
import type { Session as CoreSession } from '../../core/sessions/list-sessions.js';
import type { IssuedToken } from '../../core/sessions/tokens.js';
import { tokenFromAuthorization } from '../authorization.js';
import { AuthServiceService, type AccessToken, type ExternalIdentity, type Session, type User } from '../../gen/auth/v1/auth.js';
import { grpcService, type GrpcService } from './service.js';

/** auth.v1.AuthService: each RPC a thin translation between protobuf messages and the use cases. */
export function authGrpcService(service: AuthCore): GrpcService {
  return grpcService(AuthServiceService, {
    login: async (request, call) => {
      const result = await service.login(
        {
          email: request.email,
          username: request.username,
          password: request.password,
          realm: request.realm,
          ttlSeconds: request.ttlSeconds,
          includeUser: request.includeUser,
        },
        call.options,
      );
      return toLoginResponse(result);
    },
    logout: async (request, { metadata }) => ({
      revoked: await service.logout(tokenOf(request.accessToken, metadata), request.allSessions),
    }),
    resetPassword: async (request) => {
      await service.resetPassword(request.email, request.realm);
      return {};
    },
    validateToken: async (request, { metadata }) => {
      const result = await service.validateToken({
        accessToken: tokenOf(request.accessToken, metadata),
        requiredScopes: request.requiredScopes,
        includeUser: request.includeUser,
      });
      if (!result.active) return { active: false, userId: '', scopes: [], ttlSeconds: 0, realm: '', created: undefined, expiresAt: undefined, user: undefined };
      return {
        active: true,
        userId: result.userId,
        scopes: result.scopes,
        created: result.created,
        expiresAt: result.expiresAt,
        ttlSeconds: result.ttlSeconds,
        user: result.user && toUser(result.user),
        realm: result.realm,
      };
    },
    createUser: async (request, call) => ({
      user: toUser(
        await service.createUser(
          {
            email: request.email,
            username: request.username,
            password: request.password,
            realm: request.realm,
          },
          call.options,
        ),
      ),
    }),
    setPassword: async (request, { metadata, options }) => {
      await service.setPassword(tokenOf(request.resetToken, metadata), request.newPassword, options);
      return {};
    },
    changePassword: async (request, { metadata, options }) => {
      await service.changePassword(tokenOf(request.accessToken, metadata), request.oldPassword, request.newPassword, options);
      return {};
    },
    startExternalLogin: async (request) => {
      const { authorizationUrl, state } = await service.startExternalLogin({ provider: request.provider, redirectUri: request.redirectUri, realm: request.realm });
      return { authorizationUrl, state };
    },
    completeExternalLogin: async (request, { metadata }) =>
      toLoginResponse(
        await service.completeExternalLogin({
          provider: request.provider,
          callbackUrl: request.callbackUrl,
          caller: { kind: 'app' },
          accessToken: tokenOf(request.accessToken, metadata),
          ttlSeconds: request.ttlSeconds,
          includeUser: request.includeUser,
        }),
      ),
    exchangeIdToken: async (request) =>
      toLoginResponse(
        await service.exchangeIdToken({
          provider: request.provider,
          idToken: request.idToken,
          nonce: request.nonce,
          realm: request.realm,
          ttlSeconds: request.ttlSeconds,
          includeUser: request.includeUser,
        }),
      ),
    linkExternalIdentity: async (request, { metadata }) => {
      const { authorizationUrl, state } = await service.linkExternalIdentity(tokenOf(request.accessToken, metadata), request.provider, request.redirectUri);
      return { authorizationUrl, state };
    },
    listExternalIdentities: async (request, { metadata }) => ({
      identities: (await service.listExternalIdentities(tokenOf(request.accessToken, metadata))).map(toExternalIdentity),
    }),
    unlinkExternalIdentity: async (request, { metadata }) => {
      await service.unlinkExternalIdentity(tokenOf(request.accessToken, metadata), request.provider, request.subject);
      return {};
    },
    listSessions: async (request, { metadata }) => ({
      sessions: (await service.listSessions(tokenOf(request.accessToken, metadata))).map(toSession),
    }),
    revokeSession: async (request, { metadata }) => {
      await service.revokeSession(tokenOf(request.accessToken, metadata), request.sessionId);
      return {};
    },
    requestEmailVerification: async (request) => {
      await service.requestEmailVerification(request.email, request.realm);
      return {};
    },
    confirmEmail: async (request) => {
      await service.confirmEmail(request.userId, request.token);
      return {};
    },
  });
}

/** Login, CompleteExternalLogin and ExchangeIdToken answer alike. */
function toLoginResponse({ token, user }: LoginResult): { accessToken: AccessToken; user: User | undefined } {
  return { accessToken: toAccessToken(token), user: user && toUser(user) };
}

function toExternalIdentity(identity: LinkedIdentity): ExternalIdentity {
  return {
    provider: identity.provider,
    subject: identity.subject,
    email: identity.email ?? '',
    emailVerified: identity.emailVerified,
    profile: { ...identity.profile },
    created: identity.created,
    lastLogin: identity.lastLogin,
  };
}

/** The request field, else the `authorization` metadata, raw or as `Bearer <token>`. */
export function tokenOf(field: string, metadata: Metadata): string {
  if (field !== '') return field;
  const header = metadata.get('authorization')[0];
  return tokenFromAuthorization(typeof header === 'string' ? header : undefined);
}

function toAccessToken(token: IssuedToken): AccessToken {
  return {
    id: token.id,
    ttlSeconds: token.ttlSeconds,
    created: token.created,
    expiresAt: token.expiresAt,
    userId: token.userId,
    scopes: token.scopes,
  };
}

function toSession(session: CoreSession): Session {
  return {
    id: session.id,
    created: session.created,
    lastUsed: session.lastUsed,
    expiresAt: session.expiresAt,
    scopes: session.scopes,
    userAgent: session.userAgent ?? '',
    address: session.address ?? '',
    current: session.current,
  };
}

/** A user as AuthService answers it, and as AdminService's users begin. */
export function toUser(user: PublicUser): User {
  return {
    id: user.id,
    email: user.email,
    username: user.username ?? '',
    realm: user.realm,
    emailVerified: user.emailVerified,
    created: user.created,
  };
}
