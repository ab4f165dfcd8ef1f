// EchoService (test/proto/test/v1/echo.proto), a service that exists only in tests: its descriptors
// (built by buf, as scripts/descriptors.sh builds the service's own) and a grpc-js definition of it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { readDescriptors, type Descriptors } from '../../src/transport/grpc/descriptors.js';
import { grpcService, type GrpcService } from '../../src/transport/grpc/service.js';

const PROTO_DIR = fileURLToPath(new URL('../proto', import.meta.url));
const BUF = fileURLToPath(new URL('../../node_modules/.bin/buf', import.meta.url));
const BUILT_DESCRIPTOR_SET = new URL('../../dist/descriptors.binpb', import.meta.url);

export const ECHO_SERVICE_NAME = 'test.v1.EchoService';

/** The descriptors built with the service (dist/, so `npm run build` first) and EchoService's. */
export function descriptorsWithEcho(): Descriptors {
  const echo = execFileSync(BUF, ['build', PROTO_DIR, '-o', '-#format=binpb'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return readDescriptors(readFileSync(BUILT_DESCRIPTOR_SET), echo);
}

/** EchoService answering each request as the server decoded it; 64-bit integers as decimal strings. */
export function echoService(): GrpcService {
  const definition = loadSync('test/v1/echo.proto', { includeDirs: [PROTO_DIR], longs: String })[ECHO_SERVICE_NAME] as ServiceDefinition;
  return grpcService(definition, { Echo: async (request: object) => ({ request }) });
}
