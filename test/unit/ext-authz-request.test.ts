// Check reads Envoy's CheckRequest for three things and skips the rest: the field numbers it reads
// are those of the descriptors the server is built with, and it finds the same values as a full decode.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CheckRequest } from '../../src/gen/envoy/service/auth/v3/external_auth.js';
import { readDescriptors } from '../../src/transport/grpc/descriptors.js';
import { CHECK_FIELDS, checkRequestReader } from '../../src/transport/grpc/ext-authz-request.js';
import { MALFORMED } from '../../src/transport/grpc/request-decoding.js';

const readCheckRequest = checkRequestReader(['authorization', 'Cookie']);

const BUILT = new URL('../../dist/descriptors.binpb', import.meta.url);

describe('reading a CheckRequest', () => {
  it('reads each field by the number the descriptors give it', () => {
    const { registry } = readDescriptors(readFileSync(BUILT));
    for (const [path, number] of Object.entries(CHECK_FIELDS)) {
      const cut = path.lastIndexOf('.');
      const message = registry.getMessage(path.slice(0, cut));
      assert.ok(message, `${path.slice(0, cut)} is described`);
      assert.equal(message.fields.find((field) => field.name === path.slice(cut + 1))?.number, number, path);
    }
  });

  it('finds what a full decode finds, past every attribute it skips', () => {
    const peer = { address: { socketAddress: { protocol: 0, address: '10.0.0.7', portValue: 51234, namedPort: undefined, resolverName: '', ipv4Compat: false, networkNamespaceFilepath: '' }, pipe: undefined, envoyInternalAddress: undefined }, service: 'frontend', labels: { app: 'web' }, principal: 'spiffe://cluster/ns/default/sa/web', certificate: '' };
    const request = {
      attributes: {
        source: peer,
        destination: { ...peer, labels: {} },
        request: {
          time: new Date(),
          http: {
            id: '17851196398436416813',
            method: 'POST',
            headers: { ':path': '/orders?x=1', authorization: 'Bearer abc', cookie: 'a=b; session=xyz' },
            headerMap: { headers: [{ key: 'Authorization', value: '', rawValue: Buffer.from('Bearer raw') }, { key: 'authorization', value: 'Bearer second', rawValue: Buffer.alloc(0) }] },
            path: '/orders?x=1',
            host: 'orders.example.com',
            scheme: 'https',
            query: '',
            fragment: '',
            size: 1234,
            protocol: 'HTTP/2',
            body: '{"a":1}',
            rawBody: Buffer.from('{"a":1}'),
          },
        },
        contextExtensions: { required_scopes: 'orders:read', team: 'billing' },
        metadataContext: { filterMetadata: { 'envoy.lb': { canary: true } }, typedFilterMetadata: {} },
        routeMetadataContext: undefined,
        tlsSession: { sni: 'orders.example.com' },
      },
    };
    const bytes = CheckRequest.encode(request).finish();
    const full = CheckRequest.decode(bytes).attributes;
    const view = readCheckRequest(bytes);
    assert.ok(view !== MALFORMED);
    const { ':path': _path, ...wanted } = full?.request?.http?.headers ?? {};
    assert.deepEqual(Object.fromEntries(view.headers), wanted, 'the headers asked for, whatever their case');
    assert.deepEqual(view.rawHeaders, [['authorization', 'Bearer raw'], ['authorization', 'Bearer second']]);
    assert.equal(view.path, full?.request?.http?.path);
    assert.deepEqual(Object.fromEntries(view.contextExtensions), full?.contextExtensions);
  });

  it('reads nothing from an empty request', () => {
    assert.deepEqual(readCheckRequest(new Uint8Array()), { headers: new Map(), rawHeaders: [], path: '', contextExtensions: new Map() });
  });

  it('a request that is not protobuf, or holds invalid UTF-8 where it is read, is MALFORMED; what it skips is not looked at', () => {
    const http = (headers: Record<string, string>, body = '') => ({ id: '', method: 'GET', headers, headerMap: undefined, path: '/', host: '', scheme: '', query: '', fragment: '', size: 0, protocol: '', body, rawBody: Buffer.alloc(0) });
    const encode = (headers: Record<string, string>, body = '') =>
      Buffer.from(CheckRequest.encode({ attributes: { source: undefined, destination: undefined, request: { time: undefined, http: http(headers, body) }, contextExtensions: {}, metadataContext: undefined, routeMetadataContext: undefined, tlsSession: undefined } }).finish());
    /** The request with the first occurrence of `marker` (ASCII) replaced by bytes that are not UTF-8. */
    const corrupt = (bytes: Buffer, marker: string) => {
      const at = bytes.indexOf(marker);
      assert.ok(at >= 0);
      const copy = Buffer.from(bytes);
      copy[at] = 0xff;
      return copy;
    };
    const request = encode({ authorization: 'Bearer TOKEN', 'user-agent': 'AGENT' }, 'BODY');
    assert.equal(readCheckRequest(corrupt(request, 'TOKEN')), MALFORMED);
    assert.notEqual(readCheckRequest(corrupt(request, 'AGENT')), MALFORMED);
    assert.notEqual(readCheckRequest(corrupt(request, 'BODY')), MALFORMED);
    assert.equal(readCheckRequest(request.subarray(0, request.length - 3)), MALFORMED, 'truncated');
    assert.equal(readCheckRequest(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), MALFORMED, 'a length past the end');
  });
});
