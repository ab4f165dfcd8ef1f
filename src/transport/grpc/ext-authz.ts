import { status } from '@grpc/grpc-js';
import { LRUCache } from 'lru-cache';
import type { AuthCore } from '../../core/auth-core.js';
import { HeaderValueOption_HeaderAppendAction, type HeaderValueOption } from '../../gen/envoy/config/core/v3/base.js';
import { AuthorizationService, CheckResponse } from '../../gen/envoy/service/auth/v3/external_auth.js';
import { checkAccess, identityHeaders, scopesOf, type Denial, type Identity } from '../gateway/access.js';
import { credentialOf, type HeaderValues } from '../gateway/credentials.js';
import type { GatewaySettings } from '../gateway/settings.js';
import { loopBackError } from '../loopback-error.js';
import { checkRequestReader, type CheckView } from './ext-authz-request.js';
import { grpcService, type GrpcService } from './service.js';

/** The context extension (set per route in Envoy's ExtAuthzPerRoute) naming the scopes a route requires. */
const REQUIRED_SCOPES = 'required_scopes';
/** Encoded answers kept: one per user recently allowed, and the few denials there are. */
const ANSWERS_KEPT = 10_000;

/**
 * The request's headers as Envoy sends them: a map (repeated headers joined with commas), or with
 * `encode_raw_headers` a list with repeated headers apart.
 */
function headersOf(view: CheckView): HeaderValues {
  if (view.rawHeaders.length > 0) return (name) => view.rawHeaders.filter(([key]) => key === name).map(([, value]) => value);
  return (name) => {
    const value = view.headers.get(name);
    return value === undefined ? [] : [value];
  };
}

const header = (key: string, value: string): HeaderValueOption => ({
  header: { key, value, rawValue: Buffer.alloc(0) },
  append: undefined,
  // Replaces every copy the client sent.
  appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
  keepEmptyValue: false,
});

function allowed(identity: Identity, settings: GatewaySettings): CheckResponse {
  const headers = identityHeaders(settings.identityHeaders, identity);
  const removed = headers.filter(([, value]) => value === undefined).map(([name]) => name);
  if (settings.removeAuthorization) removed.push('authorization');
  return {
    status: { code: status.OK, message: '', details: [] },
    okResponse: {
      headers: headers.flatMap(([name, value]) => (value === undefined ? [] : [header(name, value)])),
      headersToRemove: removed,
      dynamicMetadata: undefined,
      responseHeadersToAdd: [],
      queryParametersToSet: [],
      queryParametersToRemove: [],
    },
    dynamicMetadata: { user_id: identity.userId, realm: identity.realm, scopes: identity.scopes },
  };
}

function denied(denial: Denial): CheckResponse {
  return {
    status: { code: denial.status === 403 ? status.PERMISSION_DENIED : status.UNAUTHENTICATED, message: denial.message, details: [] },
    deniedResponse: {
      status: { code: denial.status },
      headers: [header('www-authenticate', denial.challenge), header('content-type', 'application/json; charset=utf-8')],
      body: JSON.stringify(loopBackError(denial.status, denial.code, denial.message)),
    },
    dynamicMetadata: undefined,
  };
}

/**
 * envoy.service.auth.v3.Authorization, for Envoy's ext_authz filter and Istio's CUSTOM action: the
 * request's token checked by ValidateToken. A refused token is an OK call carrying a denial (Envoy
 * counts error statuses as failures of the authorizer); the call fails only when the service does
 * (UNAVAILABLE while the database is down).
 */
/** What a CheckRequest may weigh: Envoy's default header limit (60 KiB) and room for the rest. */
const CHECK_REQUEST_MAX_BYTES = 96 * 1024;

export function extAuthzGrpcService(core: AuthCore, settings: GatewaySettings): GrpcService {
  const { header, cookie } = settings.tokenSources;
  const tokenHeaders = ['authorization', ...(header ? [header] : []), ...(cookie ? ['cookie'] : [])];
  // An answer depends only on who is allowed (or why not), and the same ones recur call after call:
  // each is encoded once (the dynamic metadata's Struct alone costs as much as the token lookup).
  const answers = new LRUCache<string, Buffer>({ max: ANSWERS_KEPT });
  const encoded = (key: string, answer: () => CheckResponse): Buffer => {
    let bytes = answers.get(key);
    if (!bytes) answers.set(key, (bytes = Buffer.from(CheckResponse.encode(answer()).finish())));
    return bytes;
  };
  const definition = {
    check: {
      ...AuthorizationService.check,
      // Requests are read for the token's headers, the path and the context extensions only.
      requestDeserialize: checkRequestReader(tokenHeaders),
      responseSerialize: (answer: Buffer): Buffer => answer,
    },
  };
  return grpcService(
    definition,
    {
      check: async (request) => {
        const credential = credentialOf(headersOf(request), settings.tokenSources, [request.path]);
        const access = await checkAccess(core, credential, scopesOf(request.contextExtensions.get(REQUIRED_SCOPES)));
        if (access.allowed) {
          const { userId, realm, scopes } = access.identity;
          return encoded(`allow\0${userId}\0${realm}\0${scopes.join(' ')}`, () => allowed(access.identity, settings));
        }
        const { status: httpStatus, challenge, code, message } = access.denial;
        return encoded(`deny\0${httpStatus}\0${challenge}\0${code}\0${message}`, () => denied(access.denial));
      },
    },
    // Envoy sends every header of the request (its own default limit on them is 60 KiB).
    { readsRequestsStrictly: true, maxRequestBytes: CHECK_REQUEST_MAX_BYTES },
  );
}
