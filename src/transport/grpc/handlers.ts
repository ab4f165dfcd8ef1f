import type { handleUnaryCall, Metadata } from '@grpc/grpc-js';
import type { PublicUser } from '../../core/accounts/public-user.js';
import type { AuthCore } from '../../core/auth-core.js';
import type { IssuedToken } from '../../core/sessions/tokens.js';
import { tokenFromAuthorization } from '../authorization.js';
import type { AccessToken, AuthServiceService, AuthServiceServer, User } from '../../gen/auth/v1/auth.js';

type RequestOf<H> = H extends handleUnaryCall<infer Request, infer _Response> ? Request : never;
type ResponseOf<H> = H extends handleUnaryCall<infer _Request, infer Response> ? Response : never;
export type RpcName = keyof typeof AuthServiceService;

/**
 * One RPC as a plain async function of its request, metadata and peer (grpc-js `call.getPeer()`:
 * `address:port`); errors are thrown as AuthError.
 */
export type AuthRpcs = {
  [M in RpcName]: (request: RequestOf<AuthServiceServer[M]>, metadata: Metadata, peer: string) => Promise<ResponseOf<AuthServiceServer[M]>>;
};

/** The AuthService RPCs as thin translations between protobuf messages and the use cases. */
export function authRpcs(service: AuthCore): AuthRpcs {
  return {
    login: async (request) => {
      const { token, user } = await service.login({
        email: request.email,
        username: request.username,
        password: request.password,
        realm: request.realm,
        ttlSeconds: request.ttlSeconds,
        includeUser: request.includeUser,
      });
      return { accessToken: toAccessToken(token), user: user && toUser(user) };
    },
    logout: async (request, metadata) => ({
      revoked: await service.logout(tokenOf(request.accessToken, metadata), request.allSessions),
    }),
    resetPassword: async (request) => {
      await service.resetPassword(request.email, request.realm);
      return {};
    },
    validateToken: async (request, metadata) => {
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
    createUser: async (request, _metadata, peer) => ({
      user: toUser(
        await service.createUser({
          email: request.email,
          username: request.username,
          password: request.password,
          realm: request.realm,
          clientAddress: peerAddress(peer),
        }),
      ),
    }),
    setPassword: async (request, metadata) => {
      await service.setPassword(tokenOf(request.resetToken, metadata), request.newPassword);
      return {};
    },
    changePassword: async (request, metadata) => {
      await service.changePassword(tokenOf(request.accessToken, metadata), request.oldPassword, request.newPassword);
      return {};
    },
  };
}

/** The address of a grpc-js peer (`1.2.3.4:5678`, `::1:5678`): the port dropped. */
const peerAddress = (peer: string): string => peer.replace(/:\d+$/, '');

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
