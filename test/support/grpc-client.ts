import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { AuthServiceClient } from '../../src/gen/auth/v1/auth.js';
import { Status } from '../../src/gen/google/rpc/status.js';
import { ErrorInfo, RetryInfo } from '../../src/gen/google/rpc/error_details.js';

type Unary<Req, Res> = (request: Req, metadata: Metadata, options: { deadline: Date }, callback: (err: ServiceError | null, response: Res) => void) => unknown;

/** A promise-returning client over the generated one, with the token optionally sent as metadata. */
export function connect(address: string, options: { userAgent?: string } = {}) {
  const client = new AuthServiceClient(
    address,
    credentials.createInsecure(),
    options.userAgent === undefined ? {} : { 'grpc.primary_user_agent': options.userAgent },
  );
  const call =
    <Req, Res>(method: Unary<Req, Res>) =>
    (request: Req, options: { authorization?: string; deadlineMs?: number } = {}): Promise<Res> => {
      const metadata = new Metadata();
      if (options.authorization) metadata.set('authorization', options.authorization);
      return new Promise((resolve, reject) => {
        method.call(client, request, metadata, { deadline: new Date(Date.now() + (options.deadlineMs ?? 10000)) }, (err, response) =>
          err ? reject(err) : resolve(response),
        );
      });
    };
  return {
    client,
    login: call(client.login),
    logout: call(client.logout),
    resetPassword: call(client.resetPassword),
    validateToken: call(client.validateToken),
    createUser: call(client.createUser),
    setPassword: call(client.setPassword),
    changePassword: call(client.changePassword),
    startExternalLogin: call(client.startExternalLogin),
    completeExternalLogin: call(client.completeExternalLogin),
    exchangeIdToken: call(client.exchangeIdToken),
    linkExternalIdentity: call(client.linkExternalIdentity),
    listExternalIdentities: call(client.listExternalIdentities),
    unlinkExternalIdentity: call(client.unlinkExternalIdentity),
    listSessions: call(client.listSessions),
    revokeSession: call(client.revokeSession),
    requestEmailVerification: call(client.requestEmailVerification),
    confirmEmail: call(client.confirmEmail),
    close: () => client.close(),
  };
}

export type Client = ReturnType<typeof connect>;

/** The google.rpc details of a gRPC error: the ErrorInfo reason and domain, and RetryInfo if any. */
export function errorDetails(err: ServiceError): { reason?: string; domain?: string; retryDelaySeconds?: number } {
  const raw = err.metadata?.get('grpc-status-details-bin')[0];
  if (!(raw instanceof Buffer)) return {};
  const result: { reason?: string; domain?: string; retryDelaySeconds?: number } = {};
  for (const any of Status.decode(raw).details) {
    if (any.typeUrl.endsWith('google.rpc.ErrorInfo')) Object.assign(result, ErrorInfo.decode(any.value));
    if (any.typeUrl.endsWith('google.rpc.RetryInfo')) result.retryDelaySeconds = RetryInfo.decode(any.value).retryDelay?.seconds;
  }
  return result;
}
