// Two services on one gRPC server: AuthService and EchoService, a service that exists only in tests
// (test/proto), so the server runs in this process, built as src/app.ts builds it. Clients nobody on
// this project wrote (grpcurl through reflection) and grpc-js with raw bytes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { Metrics } from '../../src/metrics.js';
import { authGrpcService } from '../../src/transport/grpc/handlers.js';
import { loadConfig } from '../../src/config.js';
import { grpcLimitsFrom } from '../../src/app.js';
import { createGrpcServer, type GrpcServer } from '../../src/transport/grpc/server.js';
import { descriptorsWithEcho, ECHO_SERVICE_NAME, echoService } from '../support/echo-service.js';
import { errorDetails } from '../support/grpc-client.js';
import { grpcurl } from '../support/grpc-tools.js';
import { createTestService } from '../support/service.js';

const AUTH_SERVICE_NAME = 'auth.v1.AuthService';

describe('a gRPC server with two services', () => {
  const metrics = new Metrics();
  let draining = false;
  let server: GrpcServer;
  let address = '';
  let rawClient: Client;

  before(async () => {
    const { service } = await createTestService();
    server = createGrpcServer({
      services: [authGrpcService(service), echoService()],
      descriptors: descriptorsWithEcho(),
      endpoint: { host: '127.0.0.1', port: 0, tls: undefined },
      limits: grpcLimitsFrom(loadConfig({ NODE_ENV: 'test' })),
      logger: pino({ level: 'silent' }),
      metrics,
      isDraining: () => draining,
    });
    address = `127.0.0.1:${await server.listen()}`;
    rawClient = new Client(address, credentials.createInsecure());
  });

  after(async () => {
    rawClient?.close();
    await server?.shutdown(0);
  });

  /** grpc.health.v1.Health/Check through grpcurl: the status name. */
  async function health(service: string): Promise<string> {
    const result = await grpcurl(address, ['grpc.health.v1.Health/Check'], { service });
    assert.equal(result.code, 0, `health of '${service}': ${result.stderr}`);
    return (JSON.parse(result.stdout) as { status: string }).status;
  }

  /** EchoService/Echo with the request as raw bytes, as a client with any encoder (or none) sends it. */
  function rawEcho(bytes: Buffer): Promise<ServiceError | null> {
    return new Promise((resolve) => {
      rawClient.makeUnaryRequest(`/${ECHO_SERVICE_NAME}/Echo`, (b: Buffer) => b, (b: Buffer) => b, bytes, (err) => resolve(err));
    });
  }

  it("health: '' and both services follow readiness, 'liveness' stays SERVING", async () => {
    const names = ['', AUTH_SERVICE_NAME, ECHO_SERVICE_NAME];
    for (const name of names) assert.equal(await health(name), 'NOT_SERVING', `'${name}' before the server is ready`);
    assert.equal(await health('liveness'), 'SERVING');
    server.setServing(true);
    for (const name of [...names, 'liveness']) assert.equal(await health(name), 'SERVING', `'${name}' once ready`);
    server.setServing(false);
    for (const name of names) assert.equal(await health(name), 'NOT_SERVING', `'${name}' once not ready`);
    assert.equal(await health('liveness'), 'SERVING');
  });

  it('reflection lists both services, and grpcurl describes and calls each of them', async () => {
    const list = await grpcurl(address, ['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split('\n').sort(), [AUTH_SERVICE_NAME, 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', ECHO_SERVICE_NAME]);

    const described = await grpcurl(address, ['describe', ECHO_SERVICE_NAME]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /rpc Echo \( \.test\.v1\.EchoRequest \) returns \( \.test\.v1\.EchoResponse \)/);

    const echoed = await grpcurl(address, [`${ECHO_SERVICE_NAME}/Echo`], {
      text: 'hello',
      numbers: { signed: '9223372036854775807', byName: { a: '18446744073709551615' }, nested: { zigzag: '-9223372036854775808' } },
    });
    assert.equal(echoed.code, 0, echoed.stderr);
    assert.deepEqual(JSON.parse(echoed.stdout), {
      request: {
        text: 'hello',
        numbers: { signed: '9007199254740991', byName: { a: '9007199254740991' }, nested: { zigzag: '-9007199254740991' } },
      },
    });

    const validated = await grpcurl(address, [`${AUTH_SERVICE_NAME}/ValidateToken`], { accessToken: 'no-such-token' });
    assert.equal(validated.code, 0, validated.stderr);
    assert.notEqual((JSON.parse(validated.stdout) as { active?: boolean }).active, true);
  });

  it('calls of the second service get the same treatment: INVALID_ARGUMENT for invalid UTF-8, refusal while draining, metrics by method', async () => {
    const invalidText = Buffer.from([0x0a, 0x02, 0x61, 0xff]);
    const malformed = await rawEcho(invalidText);
    assert.equal(malformed?.code, status.INVALID_ARGUMENT);
    assert.equal(errorDetails(malformed).reason, 'INVALID_ARGUMENT');

    draining = true;
    try {
      const refused = await rawEcho(Buffer.from([0x0a, 0x01, 0x61]));
      assert.equal(refused?.code, status.UNAVAILABLE);
      assert.equal(errorDetails(refused).reason, 'SERVICE_UNAVAILABLE');
    } finally {
      draining = false;
    }
    assert.equal(await rawEcho(Buffer.from([0x0a, 0x01, 0x61])), null);

    const exposition = await metrics.registry.metrics();
    for (const code of ['OK', 'INVALID_ARGUMENT', 'UNAVAILABLE']) {
      assert.match(exposition, new RegExp(`^auth_grpc_calls_total\\{method="Echo",code="${code}"\\} [1-9]`, 'm'));
    }
    assert.match(exposition, /^auth_grpc_calls_total\{method="ValidateToken",code="OK"\} 1$/m);
  });
});
