import { isUtf8 } from 'node:buffer';
import { ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** What a request that is not valid protobuf (or holds invalid UTF-8) decodes to. */
export const MALFORMED = Symbol('malformed request');
/** What a request over its service's size limit decodes to. */
export const OVERSIZED = Symbol('oversized request');

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** How a 64-bit integer type is read and written. */
interface Int64Codec {
  wireType: WireType;
  read(reader: BinaryReader): bigint;
  write(writer: BinaryWriter, value: bigint): void;
}

const INT64_CODECS = new Map<ScalarType, Int64Codec>([
  [ScalarType.INT64, { wireType: WireType.Varint, read: (r) => BigInt(r.int64()), write: (w, v) => w.int64(v) }],
  [ScalarType.UINT64, { wireType: WireType.Varint, read: (r) => BigInt(r.uint64()), write: (w, v) => w.uint64(v) }],
  [ScalarType.SINT64, { wireType: WireType.Varint, read: (r) => BigInt(r.sint64()), write: (w, v) => w.sint64(v) }],
  [ScalarType.FIXED64, { wireType: WireType.Bit64, read: (r) => BigInt(r.fixed64()), write: (w, v) => w.fixed64(v) }],
  [ScalarType.SFIXED64, { wireType: WireType.Bit64, read: (r) => BigInt(r.sfixed64()), write: (w, v) => w.sfixed64(v) }],
]);

/** What a field's values are held to: valid UTF-8, the safe integer range, or their own fields' rules. */
type FieldRule = { kind: 'string' } | { kind: 'int64'; codec: Int64Codec; repeated: boolean } | { kind: 'message'; fields: Rules };
/** By field number; fields without a rule are passed as they are. */
type Rules = Map<number, FieldRule>;

function scalarRule(scalar: ScalarType, repeated = false): FieldRule | undefined {
  if (scalar === ScalarType.STRING) return { kind: 'string' };
  const codec = INT64_CODECS.get(scalar);
  return codec && { kind: 'int64', codec, repeated };
}

/** The rules of a message; `made` holds those already made, so that recursive types (Struct) end. */
function rulesOf(message: DescMessage, made = new Map<DescMessage, Rules>()): Rules {
  const known = made.get(message);
  if (known) return known;
  const rules: Rules = new Map();
  made.set(message, rules);
  for (const field of message.fields) {
    const rule = fieldRule(field, made);
    if (rule) rules.set(field.number, rule);
  }
  return rules;
}

function messageRule(message: DescMessage, made: Map<DescMessage, Rules>): FieldRule {
  return { kind: 'message', fields: rulesOf(message, made) };
}

function fieldRule(field: DescField, made: Map<DescMessage, Rules>): FieldRule | undefined {
  switch (field.fieldKind) {
    case 'scalar':
      return scalarRule(field.scalar);
    case 'enum':
      return undefined;
    case 'message':
      return messageRule(field.message, made);
    case 'list':
      return field.listKind === 'scalar' ? scalarRule(field.scalar, true) : field.listKind === 'message' ? messageRule(field.message, made) : undefined;
    case 'map': {
      // On the wire a map is a repeated entry message: key = 1, value = 2.
      const entry: Rules = new Map();
      const key = scalarRule(field.mapKey);
      const value = field.mapKind === 'scalar' ? scalarRule(field.scalar) : field.mapKind === 'message' ? messageRule(field.message, made) : undefined;
      if (key) entry.set(1, key);
      if (value) entry.set(2, value);
      return { kind: 'message', fields: entry };
    }
  }
}

function saturate(value: bigint): bigint {
  return value > MAX_SAFE ? MAX_SAFE : value < -MAX_SAFE ? -MAX_SAFE : value;
}

function encode(codec: Int64Codec, values: bigint[]): Uint8Array {
  const writer = new BinaryWriter();
  for (const value of values) codec.write(writer, value);
  return writer.finish();
}

/**
 * Reads one field's value (the tag already read) and holds it to its rule. Returns the value's new
 * encoding when an integer in it had to saturate, else undefined.
 */
function checkField(reader: BinaryReader, fieldNo: number, wireType: WireType, rule: FieldRule): Uint8Array | undefined {
  if (rule.kind === 'int64' && wireType === rule.codec.wireType) {
    const value = rule.codec.read(reader);
    const saturated = saturate(value);
    return saturated === value ? undefined : encode(rule.codec, [saturated]);
  }
  if (wireType !== WireType.LengthDelimited || (rule.kind === 'int64' && !rule.repeated)) {
    // A wire type the field cannot have: decoders skip it, so it is passed as it is.
    reader.skip(wireType, fieldNo);
    return undefined;
  }
  const content = reader.bytes();
  switch (rule.kind) {
    case 'string':
      if (!isUtf8(content)) throw new Error(`field ${fieldNo} is not UTF-8`);
      return undefined;
    case 'message': {
      const normalized = normalize(content, rule.fields);
      return normalized === content ? undefined : normalized;
    }
    case 'int64': {
      // Packed repeated values.
      const packed = new BinaryReader(content);
      const values: bigint[] = [];
      let changed = false;
      while (packed.pos < packed.len) {
        const value = rule.codec.read(packed);
        const saturated = saturate(value);
        changed ||= saturated !== value;
        values.push(saturated);
      }
      return changed ? encode(rule.codec, values) : undefined;
    }
  }
}

/**
 * Holds a message to its rules: throws when it is not protobuf or a string is not UTF-8 (the
 * generated decoders would replace it with U+FFFD, merging distinct identities), and saturates
 * 64-bit integers past ±(2^53-1) (ts-proto's forceLong=number throws on them; the service's own
 * rules then cap or refuse). Returns the bytes themselves unless a value had to change.
 */
function normalize(bytes: Uint8Array, rules: Rules): Uint8Array {
  const reader = new BinaryReader(bytes);
  // Made at the first value that changes; it holds bytes[0, copied) rewritten.
  let out: BinaryWriter | undefined;
  let copied = 0;
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [fieldNo, wireType] = reader.tag();
    const rule = rules.get(fieldNo);
    if (!rule) {
      reader.skip(wireType, fieldNo);
      continue;
    }
    const changed = checkField(reader, fieldNo, wireType, rule);
    if (!changed) continue;
    out ??= new BinaryWriter();
    out.raw(bytes.subarray(copied, start)).tag(fieldNo, wireType);
    if (wireType === WireType.LengthDelimited) out.bytes(changed);
    else out.raw(changed);
    copied = reader.pos;
  }
  return out ? out.raw(bytes.subarray(copied)).finish() : bytes;
}

/**
 * A request deserializer that never throws: the request is held to the rules of its message type,
 * taken from its descriptor, then given to the method's own deserializer. A request that is not
 * valid protobuf or holds invalid UTF-8 decodes to MALFORMED, which the call answers
 * INVALID_ARGUMENT instead of grpc-js's INTERNAL.
 */
export function strictDeserializer<Request>(message: DescMessage, deserialize: (bytes: Buffer) => Request): (bytes: Buffer) => Request | typeof MALFORMED {
  const rules = rulesOf(message);
  return (bytes) => {
    try {
      const normalized = normalize(bytes, rules);
      return deserialize(normalized === bytes ? bytes : Buffer.from(normalized.buffer, normalized.byteOffset, normalized.byteLength));
    } catch {
      return MALFORMED;
    }
  };
}
