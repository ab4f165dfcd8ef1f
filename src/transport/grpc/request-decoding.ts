import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { AuthServiceService } from '../../gen/auth/v1/auth.js';

/** What a request that is not valid protobuf (or holds invalid UTF-8) decodes to. */
export const MALFORMED = Symbol('malformed request');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** int64 fields past 2^53 saturate (ts-proto's forceLong=number throws on them); the TTL rules then cap or refuse. */
function saturateInt64(bytes: Uint8Array, fieldNo: number): Uint8Array {
  const reader = new BinaryReader(bytes);
  const writer = new BinaryWriter();
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (no === fieldNo && wireType === WireType.Varint) {
      const value = BigInt(reader.int64());
      writer.tag(no, wireType).int64(value > MAX_SAFE ? MAX_SAFE : value < -MAX_SAFE ? -MAX_SAFE : value);
    } else {
      writer.tag(no, wireType).raw(reader.skip(wireType, no));
    }
  }
  return writer.finish();
}

/**
 * AuthServiceService with request decoding that never throws: a message that is not valid protobuf,
 * or holds invalid UTF-8 (the generated decoder would silently replace it with U+FFFD, merging
 * distinct identities), decodes to MALFORMED, which the handler answers INVALID_ARGUMENT instead of
 * grpc-js's INTERNAL.
 */
export function strictAuthService(): typeof AuthServiceService {
  return Object.fromEntries(
    Object.entries(AuthServiceService).map(([name, method]) => [
      name,
      {
        ...method,
        requestDeserialize: (bytes: Buffer) => {
          try {
            // LoginRequest.ttl_seconds (field 5) is the only int64 a request carries.
            const input = name === 'login' ? saturateInt64(bytes, 5) : bytes;
            // The generated deserializer passes its argument to decode(), which takes a BinaryReader too.
            return (method.requestDeserialize as (input: unknown) => unknown)(new BinaryReader(input, (b) => strictUtf8.decode(b)));
          } catch {
            return MALFORMED;
          }
        },
      },
    ]),
  ) as unknown as typeof AuthServiceService;
}
