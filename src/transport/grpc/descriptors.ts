import { readFileSync } from 'node:fs';
import { create, createFileRegistry, fromBinary, type FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';

/** The descriptor set written by scripts/descriptors.sh at build time, beside the compiled code. */
const BUILT_DESCRIPTOR_SET = new URL('../../descriptors.binpb', import.meta.url);

/** The protobuf descriptors of every service served and every message they carry. */
export interface Descriptors {
  /** Each file once, imports before the files importing them. */
  readonly files: readonly FileDescriptorProto[];
  readonly registry: FileRegistry;
}

/**
 * Descriptors from FileDescriptorSets (as `buf build` writes them). Sets built apart repeat their
 * shared imports, such as google/protobuf/timestamp.proto: the first file of each name is kept.
 */
export function readDescriptors(...sets: Uint8Array[]): Descriptors {
  const byName = new Map<string, FileDescriptorProto>();
  for (const set of sets) {
    for (const file of fromBinary(FileDescriptorSetSchema, set).file) {
      if (!byName.has(file.name)) byName.set(file.name, file);
    }
  }
  const files = [...byName.values()];
  return { files, registry: createFileRegistry(create(FileDescriptorSetSchema, { file: files })) };
}

/** The descriptors built with the service (dist/descriptors.binpb). */
export function builtDescriptors(): Descriptors {
  return readDescriptors(readFileSync(BUILT_DESCRIPTOR_SET));
}
