// The gRPC server's request decoding, driven by the buf-built descriptors (dist/, so `npm run build`
// first): the rules come from each message's fields, whatever the method or service.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { AuthServiceService, LoginRequest, ValidateTokenResponse } from '../../src/gen/auth/v1/auth.js';
import { MALFORMED, strictDeserializer } from '../../src/transport/grpc/request-decoding.js';
import { descriptorsWithEcho } from '../support/echo-service.js';

const { registry } = descriptorsWithEcho();
function message(name: string): DescMessage {
  const found = registry.getMessage(name);
  assert.ok(found, `${name} is in the descriptors`);
  return found;
}

const MAX = 2n ** 53n - 1n;
const EchoRequest = message('test.v1.EchoRequest');
const encode = (schema: DescMessage, init: MessageInitShape<DescMessage>) => Buffer.from(toBinary(schema, create(schema, init)));
/** EchoRequest through the strict deserializer, then @bufbuild/protobuf's decoder (64-bit integers as bigint). */
const decodeEcho = strictDeserializer(EchoRequest, (bytes) => fromBinary(EchoRequest, bytes));
/** EchoRequest through the strict deserializer alone: what it passes on, or MALFORMED. */
const checkEcho = strictDeserializer(EchoRequest, (bytes) => bytes);

describe('gRPC request decoding from descriptors', () => {
  it('saturates every 64-bit integer field at ±(2^53-1): each type, repeated, map values, nested and recursive messages, Timestamp', () => {
    const sent = encode(EchoRequest, {
      text: 'kept',
      numbers: {
        signed: 2n ** 63n - 1n,
        unsigned: 2n ** 64n - 1n,
        zigzag: -(2n ** 63n),
        fixed: 2n ** 64n - 1n,
        signedFixed: -(2n ** 63n),
        list: [2n ** 62n, 7n, -(2n ** 62n)],
        byName: { big: 2n ** 64n - 1n, small: 7n },
        at: { seconds: 2n ** 62n, nanos: 5 },
        nested: { nested: { signed: -(2n ** 53n), unsigned: MAX } },
      },
    });
    assert.deepEqual(
      decodeEcho(sent),
      create(EchoRequest, {
        text: 'kept',
        numbers: {
          signed: MAX,
          unsigned: MAX,
          zigzag: -MAX,
          fixed: MAX,
          signedFixed: -MAX,
          list: [MAX, 7n, -MAX],
          byName: { big: MAX, small: 7n },
          at: { seconds: MAX, nanos: 5 },
          nested: { nested: { signed: -MAX, unsigned: MAX } },
        },
      }),
    );
  });

  it('saturates repeated values sent unpacked too', () => {
    const numbers = new BinaryWriter().tag(6, WireType.Varint).int64(2n ** 63n - 1n).tag(6, WireType.Varint).int64(5n).finish();
    const sent = Buffer.from(new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(numbers).finish());
    assert.deepEqual(decodeEcho(sent), create(EchoRequest, { numbers: { list: [MAX, 5n] } }));
  });

  it('passes a request with nothing out of range on byte for byte', () => {
    const sent = encode(EchoRequest, { text: 'héllo', numbers: { signed: -MAX, byName: { a: MAX }, nested: { fixed: 1n } } });
    assert.deepEqual(checkEcho(sent), sent);
  });

  it('passes on fields sent with a wire type they cannot have, as the decoders skip them', () => {
    // numbers.signed (a singular int64) as length-delimited bytes, and text as a varint.
    const numbers = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(Uint8Array.of(0xff, 0xff)).finish();
    const sent = Buffer.from(new BinaryWriter().tag(1, WireType.Varint).int64(2n ** 63n - 1n).tag(2, WireType.LengthDelimited).bytes(numbers).finish());
    assert.deepEqual(checkEcho(sent), sent);
  });

  it('answers MALFORMED for invalid UTF-8 in any string field, nested ones and map keys included', () => {
    const invalidText = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(Uint8Array.of(0x61, 0xff)).finish();
    const entry = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(Uint8Array.of(0xc3)).tag(2, WireType.Varint).uint64(1n).finish();
    const numbers = new BinaryWriter().tag(7, WireType.LengthDelimited).bytes(entry).finish();
    const invalidKey = new BinaryWriter().tag(1, WireType.LengthDelimited).string('fine').tag(2, WireType.LengthDelimited).bytes(numbers).finish();
    assert.equal(checkEcho(Buffer.from(invalidText)), MALFORMED);
    assert.equal(checkEcho(Buffer.from(invalidKey)), MALFORMED);
  });

  it('answers MALFORMED for bytes that are not protobuf', () => {
    for (const bytes of [[0x0a, 0x05, 0x61], [0x10], [0x00], [0x12, 0x02, 0x08]]) {
      assert.equal(checkEcho(Buffer.from(bytes)), MALFORMED, `bytes ${bytes.join(',')}`);
    }
  });

  it("lets ts-proto's decoders take any message's int64 fields, not only LoginRequest.ttl_seconds", () => {
    const schema = message('auth.v1.ValidateTokenResponse');
    const sent = encode(schema, { active: true, userId: 'u1', ttlSeconds: 2n ** 63n - 1n });
    assert.throws(() => ValidateTokenResponse.decode(sent), 'the generated decoder alone refuses it');
    const decoded = strictDeserializer(schema, (bytes) => ValidateTokenResponse.decode(bytes))(sent);
    assert.deepEqual(decoded, ValidateTokenResponse.fromPartial({ active: true, userId: 'u1', ttlSeconds: Number.MAX_SAFE_INTEGER }));

    const loginSchema = message('auth.v1.LoginRequest');
    const login = encode(loginSchema, { email: 'a@example.com', ttlSeconds: -(2n ** 63n) });
    const decodedLogin = strictDeserializer(loginSchema, AuthServiceService.login.requestDeserialize)(login);
    assert.deepEqual(decodedLogin, LoginRequest.fromPartial({ email: 'a@example.com', ttlSeconds: -Number.MAX_SAFE_INTEGER }));
  });
});
