import { CheckRequest } from '../src/gen/envoy/service/auth/v3/external_auth.js';
import { ValidateTokenRequest } from '../src/gen/auth/v1/auth.js';
import type { Context } from './context.js';
import { seedRest } from './fixtures.js';
import { h2load } from './h2load.js';
import { httpLoad, type HttpRun } from './http-load.js';
import { bestOf, type Load } from './load.js';
import { withCpu } from './procs.js';
import { cpuPerRequestUs, row, type Section } from './report.js';
import { startService } from './service.js';
import { VALIDATE_CONCURRENCY } from './validate-load.js';

/** Each gateway against the call it wraps: at least this fraction of its rate. */
const TARGET = 0.9;
const HTTP_CONNECTIONS = 50;
/** Alternating runs, at least: each pair compares two calls on one server, and a shared machine swings between runs. */
const MIN_ROUNDS = 3;

/** A Check as Envoy sends it for a plain GET with its default settings (every request header). */
function checkRequest(token: string): Uint8Array {
  const headers = {
    ':authority': 'orders.example.com',
    ':method': 'GET',
    ':path': '/orders?page=2',
    ':scheme': 'https',
    accept: 'application/json',
    'accept-encoding': 'gzip, deflate, br',
    authorization: `Bearer ${token}`,
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
    'x-forwarded-proto': 'https',
    'x-request-id': '6f1c1f52-5c8e-4a57-9b9d-2f0f4f3c8a11',
  };
  return CheckRequest.encode({
    attributes: {
      source: undefined,
      destination: undefined,
      request: {
        time: new Date(),
        http: {
          id: '17851196398436416813',
          method: 'GET',
          headers,
          headerMap: undefined,
          path: '/orders?page=2',
          host: 'orders.example.com',
          scheme: 'https',
          query: '',
          fragment: '',
          size: -1,
          protocol: 'HTTP/2',
          body: '',
          rawBody: Buffer.alloc(0),
        },
      },
      contextExtensions: {},
      metadataContext: undefined,
      routeMetadataContext: undefined,
      tlsSession: undefined,
    },
  }).finish();
}

/**
 * Scenario: the gateway doors against the calls they wrap, on one service, alternately: Envoy's
 * Check (a realistic request, all headers) against ValidateToken, both by h2load on one connection;
 * GET /auth/verify against POST /api/tokens/validate, both by autocannon, the token in Authorization.
 */
export async function gatewaysScenario(ctx: Context): Promise<Section> {
  if (!ctx.h2load) throw new Error('the gateways scenario needs h2load (Debian: nghttp2-client)');
  const h2 = ctx.h2load;
  const service = await startService(ctx);
  try {
    const { token } = await seedRest(service.httpUrl);
    const grpc = (path: string, message: Uint8Array, seconds: number) => () =>
      withCpu(service.pid, () => h2load(h2, { address: service.grpcAddress, path, message, concurrency: VALIDATE_CONCURRENCY, seconds }));
    const validateCall = (seconds: number) =>
      grpc('/auth.v1.AuthService/ValidateToken', ValidateTokenRequest.encode({ accessToken: token, requiredScopes: [], includeUser: false }).finish(), seconds);
    const checkCall = (seconds: number) => grpc('/envoy.service.auth.v3.Authorization/Check', checkRequest(token), seconds);
    const http = (run: Omit<HttpRun, 'connections' | 'seconds' | 'headers'>, seconds: number) => () =>
      withCpu(service.pid, () => httpLoad({ ...run, headers: { authorization: `Bearer ${token}` }, connections: HTTP_CONNECTIONS, seconds }));
    const restValidate = (seconds: number) => http({ url: `${service.httpUrl}/api/tokens/validate`, method: 'POST' }, seconds);
    const verify = (seconds: number) => http({ url: `${service.httpUrl}/auth/verify`, method: 'GET' }, seconds);

    const rounds = Math.max(MIN_ROUNDS, ctx.rounds);
    for (const warm of [validateCall, checkCall, restValidate, verify]) await warm(ctx.warmupSeconds)();
    const [validate, check] = await bestOf<[Load, Load]>(rounds, [validateCall(ctx.seconds), checkCall(ctx.seconds)]);
    const [rest, forward] = await bestOf<[Load, Load]>(rounds, [restValidate(ctx.seconds), verify(ctx.seconds)]);
    const checkRatio = check.rps / validate.rps;
    const verifyRatio = forward.rps / rest.rps;
    return {
      title: 'Gateways vs the calls they wrap (embedded store, one service)',
      rows: [
        row('ValidateToken (gRPC)', validate),
        row('Envoy ext_authz Check (gRPC)', check, { ratio: checkRatio }),
        row('POST /api/tokens/validate', rest),
        row('GET /auth/verify (forward auth)', forward, { ratio: verifyRatio }),
      ],
      checks: [
        { target: `Check ≥ ${TARGET}× ValidateToken`, measured: `${checkRatio.toFixed(2)}×`, met: checkRatio >= TARGET },
        { target: `/auth/verify ≥ ${TARGET}× POST /api/tokens/validate`, measured: `${verifyRatio.toFixed(2)}×`, met: verifyRatio >= TARGET },
      ],
      notes: [
        `gRPC: h2load, ${VALIDATE_CONCURRENCY} streams on one connection, one token; the Check carries the ten headers of a browser GET; ` +
          `HTTP: autocannon, ${HTTP_CONNECTIONS} keep-alive connections; best of ${rounds} alternating runs of ${ctx.seconds} s`,
        `server CPU per call at max: ValidateToken ${cpuPerRequestUs(validate)?.toFixed(0)} µs, Check ${cpuPerRequestUs(check)?.toFixed(0)} µs, ` +
          `POST /api/tokens/validate ${cpuPerRequestUs(rest)?.toFixed(0)} µs, /auth/verify ${cpuPerRequestUs(forward)?.toFixed(0)} µs`,
      ],
    };
  } finally {
    await service.stop();
  }
}
