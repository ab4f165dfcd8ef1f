/**
 * LoopBack 3's own REST client: a LoopBack application whose User model lives at a remote REST API,
 * through `loopback-connector-remote` over strong-remoting, as LoopBack apps consume one another.
 * The types below are the part of LoopBack's API the tests call (LoopBack ships none).
 */
import { requireFromLoopBack } from './loopback.js';

/** strong-remoting's `remotes.auth`, in each of its forms (see its http-invocation.js). */
export type RemoteAuth =
  | { accessToken: { id: string } }
  | { bearer: string; sendImmediately?: boolean }
  | { username: string; password: string; sendImmediately?: boolean };

/** A User model instance as the client builds it from an answer. */
export interface RemoteUser {
  id: string;
  email: string;
  username?: string;
  emailVerified: boolean;
  patchAttributes(changes: Record<string, unknown>): Promise<RemoteUser>;
}

export interface RemoteAccessToken {
  id: string;
  ttl: number;
  created: string;
  userId: string;
  user?: Record<string, unknown>;
}

/** The remote User model: LoopBack's User methods, each a REST call to the gateway. */
export interface RemoteUserModel {
  new (data: { id: string }): RemoteUser;
  create(data: Record<string, unknown>): Promise<RemoteUser>;
  login(credentials: Record<string, unknown>, include?: string[]): Promise<RemoteAccessToken>;
  /** The token argument is not sent: LoopBack's server reads the request's token, so the client's auth carries it. */
  logout(tokenId?: string): Promise<void>;
  resetPassword(options: { email: string }): Promise<void>;
  /** `id` comes from the token on the server, so the client leaves it undefined. */
  changePassword(id: undefined, oldPassword: string, newPassword: string): Promise<void>;
  setPassword(id: undefined, newPassword: string): Promise<void>;
  findById(id: string): Promise<RemoteUser | null>;
  deleteById(id: string): Promise<{ count: number }>;
}

/** What a failed call rejects with: LoopBack's error body as an Error. */
export interface RemoteError extends Error {
  statusCode: number;
  code?: string;
}

interface LoopBackApp {
  registry: { createModel(definition: Record<string, unknown>): RemoteUserModel };
  dataSource(name: string, settings: Record<string, unknown>): { connector: { remotes: { auth?: RemoteAuth } } };
  model(model: RemoteUserModel, options: { dataSource: string }): void;
}
type LoopBack = (options: { localRegistry: boolean; loadBuiltinModels: boolean }) => LoopBackApp;

export interface LoopBackClient {
  User: RemoteUserModel;
  /** Sets (or with undefined clears) the credentials every later call sends. */
  authenticate(auth: RemoteAuth | undefined): void;
}

/** A client app for the REST API at `apiRoot` (say http://127.0.0.1:3000/api). */
export function loopBackClient(apiRoot: string): LoopBackClient {
  const loopback = requireFromLoopBack('loopback') as LoopBack;
  const app = loopback({ localRegistry: true, loadBuiltinModels: true });
  const remote = app.dataSource('remote', { connector: requireFromLoopBack('loopback-connector-remote'), url: apiRoot });
  // LoopBack's User at /users, with string ids as a server on MongoDB has them (the remote
  // connector's default id type is a number, which would turn a hex id into null).
  const User = app.registry.createModel({ name: 'RemoteUser', base: 'User', plural: 'users', properties: { id: { type: 'string', id: true } } });
  app.model(User, { dataSource: 'remote' });
  return {
    User,
    authenticate(auth) {
      remote.connector.remotes.auth = auth;
    },
  };
}
