import { toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/** The reflection service's own name, listed beside the services it describes. */
const REFLECTION_SERVICE_NAME = 'grpc.reflection.v1.ServerReflection';

/**
 * Server reflection from buf-built descriptors, listing the given services (and itself). proto-loader's
 * own descriptors use relative type names without imports, which grpcurl rejects (grpc/grpc-node#2958);
 * buf's are protoc-exact. ReflectionService reads nothing of a package definition but its fileDescriptorProtos.
 */
export function addReflection(server: Server, files: readonly FileDescriptorProto[], serviceNames: readonly string[]): void {
  const definition = { descriptors: { fileDescriptorProtos: files.map((file) => toBinary(FileDescriptorProtoSchema, file)) } };
  new ReflectionService(definition as unknown as PackageDefinition, { services: [...serviceNames, REFLECTION_SERVICE_NAME] }).addToServer(server);
}
