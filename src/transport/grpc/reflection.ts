import { toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/** The reflection service's own name, listed beside the services it describes. */
const REFLECTION_SERVICE_NAME = 'grpc.reflection.v1.ServerReflection';

/**
 * The files a server describes: every file that declares no service it does not serve (so the
 * public port knows nothing of the admin service, nor the admin port of the public one), and the
 * files those import. Order is kept: imports before the files importing them.
 */
function describedFiles(files: readonly FileDescriptorProto[], served: ReadonlySet<string>): FileDescriptorProto[] {
  const byName = new Map(files.map((file) => [file.name, file]));
  const kept = new Set<string>();
  const keep = (name: string): void => {
    const file = byName.get(name);
    if (!file || kept.has(name)) return;
    kept.add(name);
    file.dependency.forEach(keep);
  };
  for (const file of files) {
    if (file.service.every((service) => served.has(`${file.package}.${service.name}`))) keep(file.name);
  }
  return files.filter((file) => kept.has(file.name));
}

/**
 * Server reflection from buf-built descriptors, listing the given services (and itself). proto-loader's
 * own descriptors use relative type names without imports, which grpcurl rejects (grpc/grpc-node#2958);
 * buf's are protoc-exact. ReflectionService reads nothing of a package definition but its fileDescriptorProtos.
 */
export function addReflection(server: Server, files: readonly FileDescriptorProto[], serviceNames: readonly string[]): void {
  const served = [...serviceNames, REFLECTION_SERVICE_NAME];
  const described = describedFiles(files, new Set(served));
  const definition = { descriptors: { fileDescriptorProtos: described.map((file) => toBinary(FileDescriptorProtoSchema, file)) } };
  new ReflectionService(definition as unknown as PackageDefinition, { services: served }).addToServer(server);
}
