// A client of envoy.service.auth.v3.Authorization built from Envoy's own protos (as @grpc/grpc-js-xds
// ships them) by @grpc/proto-loader: it shares no code with the server's generated messages.
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const DEPS = fileURLToPath(new URL('../../node_modules/@grpc/grpc-js-xds/deps/', import.meta.url));

export const AUTHORIZATION_SERVICE = 'envoy.service.auth.v3.Authorization';

/** CheckRequest.attributes as Envoy fills them for an HTTP request (proto field names). */
export interface HttpAttributes {
  headers?: Record<string, string>;
  /** encode_raw_headers: repeated headers apart, values as bytes. */
  rawHeaders?: Array<[string, string]>;
  path?: string;
  method?: string;
  contextExtensions?: Record<string, string>;
}

interface HeaderValueOption {
  header: { key: string; value: string; raw_value: Buffer };
  append_action: string;
}

/** CheckResponse as proto-loader decodes it: field names as in the proto, enums by name, oneof named. */
export interface CheckResponse {
  status: { code: number; message: string };
  http_response?: 'ok_response' | 'denied_response';
  ok_response?: { headers: HeaderValueOption[]; headers_to_remove: string[] };
  denied_response?: { status: { code: string }; headers: HeaderValueOption[]; body: string };
  /** google.protobuf.Struct: protobufjs names its fields in camel case whatever keepCase says. */
  dynamic_metadata?: { fields: Record<string, { kind: string; stringValue?: string; listValue?: { values: Array<{ stringValue: string }> } }> };
}

type Check = (request: object, metadata: Metadata, options: { deadline: Date }, callback: (err: ServiceError | null, response: CheckResponse) => void) => void;

export interface EnvoyClient {
  check(attributes: HttpAttributes): Promise<CheckResponse>;
  close(): void;
}

export function connectEnvoy(address: string): EnvoyClient {
  const definition = loadSync('envoy/service/auth/v3/external_auth.proto', {
    includeDirs: ['envoy-api', 'xds', 'protoc-gen-validate', 'googleapis'].map((dir) => DEPS + dir),
    keepCase: true,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- loadPackageDefinition's result is typed by name only at run time
  const Authorization = (loadPackageDefinition(definition) as any).envoy.service.auth.v3.Authorization as new (address: string, creds: unknown) => Client & { Check: Check };
  const client = new Authorization(address, credentials.createInsecure());
  return {
    check: (attributes) =>
      new Promise((resolve, reject) => {
        const http = {
          headers: attributes.headers ?? {},
          header_map: attributes.rawHeaders && { headers: attributes.rawHeaders.map(([key, value]) => ({ key, raw_value: Buffer.from(value) })) },
          path: attributes.path ?? '/',
          method: attributes.method ?? 'GET',
          host: 'app.example',
          scheme: 'http',
          protocol: 'HTTP/1.1',
          size: -1,
        };
        const request = { attributes: { request: { http }, context_extensions: attributes.contextExtensions ?? {} } };
        client.Check(request, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (err, response) => (err ? reject(err) : resolve(response)));
      }),
    close: () => client.close(),
  };
}

/** The headers an allowing answer sets upstream, by name. */
export function headersSet(response: CheckResponse): Record<string, string> {
  return Object.fromEntries((response.ok_response?.headers ?? []).map((option) => [option.header.key, option.header.value]));
}

/** dynamic_metadata as plain values. */
export function dynamicMetadata(response: CheckResponse): Record<string, string | string[]> {
  const fields = response.dynamic_metadata?.fields ?? {};
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [key, value.kind === 'listValue' ? (value.listValue?.values ?? []).map((item) => item.stringValue) : (value.stringValue ?? '')]),
  );
}
