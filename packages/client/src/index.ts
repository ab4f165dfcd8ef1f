export { createAuthClient, type AuthClient, type AuthClientOptions, type AuthRpcs, type CallOptions, type TlsOptions, type Verdict } from './client.js';
export { AuthCallError } from './call-error.js';
export { authInterceptor, authOf, type AuthInterceptorOptions } from './grpc.js';
export { httpRefusal, type HttpRefusal } from './http.js';
export type { AuthContext, CacheOptions } from './token-check.js';
// The request and response messages of every RPC, as generated from the proto.
export type * from './gen/auth/v1/auth.js';
