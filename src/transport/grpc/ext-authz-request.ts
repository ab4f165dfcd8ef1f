import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

/**
 * What Check reads of Envoy's CheckRequest. Envoy sends every attribute of the request (peers,
 * time, each header, TLS details); Check needs three of them, so its requests are read for those
 * alone and the rest skipped unread (a full decode cost more than the token lookup itself). The
 * server's strict pass has held the whole message to its descriptor before this runs.
 */
export interface CheckView {
  /** attributes.request.http.headers: names in lower case, repeated headers joined by Envoy with commas. */
  headers: Map<string, string>;
  /** attributes.request.http.header_map, sent instead with Envoy's encode_raw_headers: each header apart. */
  rawHeaders: Array<[string, string]>;
  /** attributes.request.http.path: the request target, query included. */
  path: string;
  /** attributes.context_extensions, set per route (ExtAuthzPerRoute.check_settings). */
  contextExtensions: Map<string, string>;
}

/**
 * The numbers of the fields read, from envoy/service/auth/v3/{external_auth,attribute_context}.proto
 * and envoy/config/core/v3/base.proto. Protobuf never renumbers a field; a unit test holds these to
 * the descriptors the server is built with.
 */
export const CHECK_FIELDS = {
  'envoy.service.auth.v3.CheckRequest.attributes': 1,
  'envoy.service.auth.v3.AttributeContext.request': 4,
  'envoy.service.auth.v3.AttributeContext.context_extensions': 10,
  'envoy.service.auth.v3.AttributeContext.Request.http': 2,
  'envoy.service.auth.v3.AttributeContext.HttpRequest.headers': 3,
  'envoy.service.auth.v3.AttributeContext.HttpRequest.path': 4,
  'envoy.service.auth.v3.AttributeContext.HttpRequest.header_map': 13,
  'envoy.config.core.v3.HeaderMap.headers': 1,
  'envoy.config.core.v3.HeaderValue.key': 1,
  'envoy.config.core.v3.HeaderValue.value': 2,
  'envoy.config.core.v3.HeaderValue.raw_value': 3,
} as const;

const F = CHECK_FIELDS;
/** On the wire a map is a repeated entry message: key = 1, value = 2. */
const MAP_KEY = 1;
const MAP_VALUE = 2;

/** Calls `read` with each length-delimited field; the fields it does not read (it returns false) are skipped. */
function eachField(bytes: Uint8Array, read: (field: number, reader: BinaryReader) => boolean): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (wireType !== WireType.LengthDelimited || !read(field, reader)) reader.skip(wireType, field);
  }
}

/** One map<string, string> entry into `into` (a later entry of the same key wins, as decoders do). */
function mapEntry(bytes: Uint8Array, into: Map<string, string>): void {
  let key = '';
  let value = '';
  eachField(bytes, (field, reader) => {
    if (field === MAP_KEY) key = reader.string();
    else if (field === MAP_VALUE) value = reader.string();
    else return false;
    return true;
  });
  into.set(key, value);
}

function headerValue(bytes: Uint8Array, into: Array<[string, string]>): void {
  let key = '';
  let value = '';
  let raw: Uint8Array | undefined;
  eachField(bytes, (field, reader) => {
    if (field === F['envoy.config.core.v3.HeaderValue.key']) key = reader.string();
    else if (field === F['envoy.config.core.v3.HeaderValue.value']) value = reader.string();
    else if (field === F['envoy.config.core.v3.HeaderValue.raw_value']) raw = reader.bytes();
    else return false;
    return true;
  });
  into.push([key.toLowerCase(), raw && raw.length > 0 ? Buffer.from(raw).toString('utf8') : value]);
}

function httpRequest(bytes: Uint8Array, view: CheckView): void {
  eachField(bytes, (field, reader) => {
    if (field === F['envoy.service.auth.v3.AttributeContext.HttpRequest.headers']) mapEntry(reader.bytes(), view.headers);
    else if (field === F['envoy.service.auth.v3.AttributeContext.HttpRequest.path']) view.path = reader.string();
    else if (field === F['envoy.service.auth.v3.AttributeContext.HttpRequest.header_map']) {
      eachField(reader.bytes(), (inner, values) => {
        if (inner !== F['envoy.config.core.v3.HeaderMap.headers']) return false;
        headerValue(values.bytes(), view.rawHeaders);
        return true;
      });
    } else return false;
    return true;
  });
}

/** Reads a CheckRequest for what Check needs (see CheckView). */
export function readCheckRequest(bytes: Uint8Array): CheckView {
  const view: CheckView = { headers: new Map(), rawHeaders: [], path: '', contextExtensions: new Map() };
  eachField(bytes, (field, reader) => {
    if (field !== F['envoy.service.auth.v3.CheckRequest.attributes']) return false;
    eachField(reader.bytes(), (attribute, attributes) => {
      if (attribute === F['envoy.service.auth.v3.AttributeContext.context_extensions']) mapEntry(attributes.bytes(), view.contextExtensions);
      else if (attribute === F['envoy.service.auth.v3.AttributeContext.request']) {
        eachField(attributes.bytes(), (part, request) => {
          if (part !== F['envoy.service.auth.v3.AttributeContext.Request.http']) return false;
          httpRequest(request.bytes(), view);
          return true;
        });
      } else return false;
      return true;
    });
    return true;
  });
  return view;
}
