import { readFileSync } from 'node:fs';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/** The descriptor set written by scripts/descriptors.sh at build time, beside the compiled code. */
const DESCRIPTOR_SET = new URL('../../descriptors.binpb', import.meta.url);

/** Reads field 1 (a length-delimited value) of a message, or every occurrence of it. */
function field1(message: Uint8Array): Uint8Array[] {
  const values: Uint8Array[] = [];
  const reader = new BinaryReader(message);
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (number === 1 && wireType === WireType.LengthDelimited) values.push(reader.bytes());
    else reader.skip(wireType);
  }
  return values;
}

/**
 * The FileDescriptorProtos of a FileDescriptorSet (field 1), the first of each file name kept:
 * the concatenated sets repeat shared imports such as google/protobuf/timestamp.proto.
 */
function descriptorFiles(set: Uint8Array): Uint8Array[] {
  const byName = new Map<string, Uint8Array>();
  for (const file of field1(set)) {
    const name = new TextDecoder().decode(field1(file)[0]);
    if (!byName.has(name)) byName.set(name, file);
  }
  return [...byName.values()];
}

/**
 * Server reflection from buf-built descriptors. proto-loader's own descriptors use relative type
 * names without imports, which grpcurl rejects (grpc/grpc-node#2958); buf's are protoc-exact.
 * ReflectionService reads nothing of a package definition but its fileDescriptorProtos.
 */
export function addReflection(server: Server): void {
  const definition = { descriptors: { fileDescriptorProtos: descriptorFiles(readFileSync(DESCRIPTOR_SET)) } };
  new ReflectionService(definition as unknown as PackageDefinition).addToServer(server);
}
