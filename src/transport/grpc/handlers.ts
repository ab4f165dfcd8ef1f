import type { Metadata } from '@grpc/grpc-js';
import type { PublicUser } from '../../core/accounts/public-user.js';
import type { AuthCore } from '../../core/auth-core.js';
import type { Session as CoreSession } from '../../core/sessions/list-sessions.js';
import type { IssuedToken } from '../../core/sessions/tokens.js';
import { tokenFromAuthorization } from '../authorization.js';
import { AuthServiceService, type AccessToken, type Session, type User } from '../../gen/auth/v1/auth.js';
import { grpcService, type GrpcService } from './service.js';

/** auth.v1.AuthService: each RPC a thin translation between protobuf messages and the use cases. */
export function authGrpcService(service: AuthCore): GrpcService {
  return grpcService(AuthServiceService, {
    login: async (request, call) => {
      const { token, user } = await service.login(
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
      return { accessToken: toAccessToken(token), user: user && toUser(user) };
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

function toUser(user: PublicUser): User {
  return {
    id: user.id,
    email: user.email,
    username: user.username ?? '',
    realm: user.realm,
    emailVerified: user.emailVerified,
    created: user.created,
  };
}
