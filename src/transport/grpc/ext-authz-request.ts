import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { MALFORMED } from './request-decoding.js';

/**
 * What Check reads of Envoy's CheckRequest. Envoy sends every attribute of the request (peers,
 * time, each header, TLS details); Check needs a few headers, the path and the route's context
 * extensions, so a request is read for those alone and the rest is stepped over unread: decoding it
 * all cost more than the token lookup itself.
 */
export interface CheckView {
  /** attributes.request.http.headers, only those asked for: names in lower case, repeated headers joined by Envoy with commas. */
  headers: Map<string, string>;
  /** attributes.request.http.header_map (Envoy's encode_raw_headers), only those asked for: each header apart. */
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

/** Strings as the server's strict pass holds them: invalid UTF-8 makes the request MALFORMED. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A header name to look for, in lower case, and its bytes. */
interface Wanted {
  name: string;
  bytes: Uint8Array;
}

/** Where the length-delimited field just found starts and ends. */
interface Field {
  number: number;
  end: number;
}

/**
 * One pass over one request: a single reader for the whole message, nested messages read in place,
 * each message a loop over its length-delimited fields (the only kind read; others are skipped).
 */
class CheckRequestPass {
  private readonly reader: BinaryReader;
  readonly view: CheckView = { headers: new Map(), rawHeaders: [], path: '', contextExtensions: new Map() };

  constructor(
    private readonly bytes: Uint8Array,
    private readonly wanted: readonly Wanted[],
  ) {
    this.reader = new BinaryReader(bytes);
  }

  read(): CheckView {
    const end = this.reader.len;
    for (let field = this.next(end); field; field = this.next(end)) {
      if (field.number === F['envoy.service.auth.v3.CheckRequest.attributes']) this.attributes(field.end);
      this.reader.pos = field.end;
    }
    return this.view;
  }

  /**
   * The next length-delimited field of the message that ends at `end`, the reader at its content;
   * undefined at the end. Fields of other wire types are skipped as decoders skip them.
   */
  private next(end: number): Field | undefined {
    const reader = this.reader;
    while (reader.pos < end) {
      // reader.tag() without its array: these loops run for every field of every request.
      const tag = reader.uint32();
      const number = tag >>> 3;
      const wireType = tag & 7;
      if (number === 0 || wireType > WireType.Bit32) throw new RangeError('not a protobuf tag');
      if (wireType !== WireType.LengthDelimited) {
        reader.skip(wireType, number);
        continue;
      }
      const fieldEnd = reader.uint32() + reader.pos;
      if (fieldEnd > end) throw new RangeError('a field runs past its message');
      return { number, end: fieldEnd };
    }
    if (reader.pos !== end) throw new RangeError('a field runs past its message');
    return undefined;
  }

  private text(end: number): string {
    return utf8.decode(this.bytes.subarray(this.reader.pos, end));
  }

  /** The wanted name these bytes spell in any case, if any: header names are compared before anything is decoded. */
  private wantedName(end: number): string | undefined {
    const start = this.reader.pos;
    for (const { name, bytes } of this.wanted) {
      if (end - start !== bytes.length) continue;
      let i = 0;
      for (; i < bytes.length; i++) {
        const byte = this.bytes[start + i] ?? 0;
        // ASCII capitals differ from their small letters by 0x20 alone.
        if ((byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte) !== bytes[i]) break;
      }
      if (i === bytes.length) return name;
    }
    return undefined;
  }

  private attributes(end: number): void {
    for (let field = this.next(end); field; field = this.next(end)) {
      if (field.number === F['envoy.service.auth.v3.AttributeContext.context_extensions']) {
        const [key, value] = this.mapEntry(field.end, true) ?? ['', ''];
        this.view.contextExtensions.set(key, value);
      } else if (field.number === F['envoy.service.auth.v3.AttributeContext.request']) {
        for (let part = this.next(field.end); part; part = this.next(field.end)) {
          if (part.number === F['envoy.service.auth.v3.AttributeContext.Request.http']) this.httpRequest(part.end);
          this.reader.pos = part.end;
        }
      }
      this.reader.pos = field.end;
    }
  }

  /**
   * A map<string, string> entry (on the wire, a message with key = 1 and value = 2): any key, or
   * only a wanted header name. The value is decoded only for a key kept: most of Envoy's headers
   * are never decoded at all.
   */
  private mapEntry(end: number, anyKey: boolean): [string, string] | undefined {
    let key: string | undefined;
    let valueStart = 0;
    let valueEnd = 0;
    for (let field = this.next(end); field; field = this.next(end)) {
      if (field.number === 1) key = anyKey ? this.text(field.end) : this.wantedName(field.end);
      else if (field.number === 2) [valueStart, valueEnd] = [this.reader.pos, field.end];
      this.reader.pos = field.end;
    }
    if (key === undefined) return undefined;
    return [key, utf8.decode(this.bytes.subarray(valueStart, valueEnd))];
  }

  private httpRequest(end: number): void {
    for (let field = this.next(end); field; field = this.next(end)) {
      if (field.number === F['envoy.service.auth.v3.AttributeContext.HttpRequest.headers']) {
        const header = this.mapEntry(field.end, false);
        if (header) this.view.headers.set(...header);
      } else if (field.number === F['envoy.service.auth.v3.AttributeContext.HttpRequest.path']) {
        this.view.path = this.text(field.end);
      } else if (field.number === F['envoy.service.auth.v3.AttributeContext.HttpRequest.header_map']) {
        for (let value = this.next(field.end); value; value = this.next(field.end)) {
          if (value.number === F['envoy.config.core.v3.HeaderMap.headers']) this.headerValue(value.end);
          this.reader.pos = value.end;
        }
      }
      this.reader.pos = field.end;
    }
  }

  private headerValue(end: number): void {
    let name: string | undefined;
    let value = '';
    let raw: string | undefined;
    for (let field = this.next(end); field; field = this.next(end)) {
      if (field.number === F['envoy.config.core.v3.HeaderValue.key']) name = this.wantedName(field.end);
      else if (field.number === F['envoy.config.core.v3.HeaderValue.value']) value = this.text(field.end);
      // raw_value holds the header's bytes as they came, which need not be UTF-8.
      else if (field.number === F['envoy.config.core.v3.HeaderValue.raw_value'] && field.end > this.reader.pos) {
        raw = Buffer.from(this.bytes.subarray(this.reader.pos, field.end)).toString('latin1');
      }
      this.reader.pos = field.end;
    }
    if (name !== undefined) this.view.rawHeaders.push([name, raw ?? value]);
  }
}

/**
 * A reader of Check requests that keeps the headers named in `wanted` and skips everything it does
 * not read. It never throws: a request that is not protobuf, or holds invalid UTF-8 in what it
 * reads, is MALFORMED, as the server's strict pass would make it.
 */
export function checkRequestReader(wanted: readonly string[]): (bytes: Uint8Array) => CheckView | typeof MALFORMED {
  const names = wanted.map((name) => ({ name: name.toLowerCase(), bytes: new TextEncoder().encode(name.toLowerCase()) }));
  return (bytes) => {
    try {
      return new CheckRequestPass(bytes, names).read();
    } catch {
      return MALFORMED;
    }
  };
}
