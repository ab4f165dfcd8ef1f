// The gateway examples in deploy/ (NGINX's are run by test/e2e/forward-auth.test.ts): each parses,
// names auth-service's service, ports and paths as the service serves them, and fails closed. The
// ext_authz filter and the routes of deploy/envoy are read against Envoy's own protos (strict
// protobuf JSON: an unknown field or a wrong type fails); the rest of its file is Envoy config
// whose protos this package cannot compile, so it is checked by what it must say.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createFileRegistry, fromBinary, fromJson, type FileRegistry, type JsonValue } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { VERIFY_PATH } from '../../src/transport/forward-auth/routes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENVOY_API = join(ROOT, 'node_modules/@grpc/grpc-js-xds/deps/envoy-api');
const AUTHORIZATION_SERVICE = 'envoy.service.auth.v3.Authorization';
const EXT_AUTHZ_FILTER = 'envoy.filters.http.ext_authz';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const yamlOf = (path: string): Doc => parse(readFileSync(join(ROOT, path), 'utf8'), { uniqueKeys: true, strict: true }) as Doc;
const typeName = (typed: Doc): string => String(typed['@type']).replace('type.googleapis.com/', '');

/** The ports of deploy/k8s/service.yaml by name: what the examples must point at. */
function k8sService(): { name: string; ports: Record<string, number> } {
  const service = yamlOf('deploy/k8s/service.yaml');
  return { name: service.metadata.name, ports: Object.fromEntries((service.spec.ports as Doc[]).map((port) => [port.name, port.port])) };
}

describe('deploy/envoy: the ext_authz example', () => {
  let envoy: Doc;
  let registry: FileRegistry;
  /** Reads a message of Envoy's config as Envoy reads it from YAML: proto3 JSON, nothing unknown. */
  const strictly = (type: string, json: Doc) => {
    const schema = registry.getMessage(type);
    assert.ok(schema, `${type} is in Envoy's protos`);
    return fromJson(schema, json as JsonValue, { registry });
  };

  before(() => {
    envoy = yamlOf('deploy/envoy/envoy.yaml');
    const set = execFileSync(join(ROOT, 'node_modules/.bin/buf'), [
      'build', ENVOY_API,
      '--path', join(ENVOY_API, 'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto'),
      '--path', join(ENVOY_API, 'envoy/config/route/v3/route.proto'),
      '-o', '-#format=binpb',
    ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, set));
  });

  const connectionManager = (): Doc => envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  const cluster = (name: string): Doc => (envoy.static_resources.clusters as Doc[]).find((candidate) => candidate.name === name) as Doc;

  it('its ext_authz filter is valid ExtAuthz: gRPC v3 to the auth_service cluster, a timeout, failing closed', () => {
    const filters = connectionManager().http_filters as Doc[];
    assert.deepEqual(filters.map((filter) => filter.name), [EXT_AUTHZ_FILTER, 'envoy.filters.http.router'], 'ext_authz runs before the router');
    const { '@type': type, ...config } = filters[0]?.typed_config as Doc;
    assert.equal(type, 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz');
    const extAuthz = strictly('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', config);
    assert.equal(extAuthz.$typeName, 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz');
    assert.equal(config.failure_mode_allow, false);
    assert.equal(config.transport_api_version, 'V3');
    assert.match(config.grpc_service.timeout, /^0\.\d+s$/, 'a timeout under a second');
    assert.equal(config.grpc_service.envoy_grpc.cluster_name, 'auth_service');
    assert.ok(!('with_request_body' in config), 'no bodies: a Check stays small');
  });

  it('its routes are a valid RouteConfiguration; per-route settings disable the check or require scopes', () => {
    const routes = strictly('envoy.config.route.v3.RouteConfiguration', connectionManager().route_config);
    assert.equal(routes.$typeName, 'envoy.config.route.v3.RouteConfiguration');
    const perRoute = (connectionManager().route_config.virtual_hosts[0].routes as Doc[]).map((route) => route.typed_per_filter_config?.[EXT_AUTHZ_FILTER]);
    assert.ok(perRoute.every((config) => config === undefined || typeName(config) === 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute'));
    assert.ok(perRoute.some((config) => config?.check_settings?.context_extensions?.required_scopes), 'one route shows required_scopes');
  });

  it('the auth_service cluster is auth-service’s gRPC port over HTTP/2, health-checked on the Authorization service', () => {
    const auth = cluster('auth_service');
    const service = k8sService();
    const address = auth.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    assert.deepEqual({ address: address.address, port: address.port_value }, { address: service.name, port: service.ports.grpc });
    const options = auth.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    assert.ok(options.explicit_http_config.http2_protocol_options, 'gRPC needs HTTP/2');
    assert.equal(auth.health_checks[0].grpc_health_check.service_name, AUTHORIZATION_SERVICE);
  });

  it('is not accepted blindly: the strict reading refuses a misspelt field and a wrong type', () => {
    const { '@type': _type, ...config } = (connectionManager().http_filters as Doc[])[0]?.typed_config as Doc;
    assert.throws(() => strictly('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', { ...config, failure_mode_alow: false }), /failure_mode_alow/);
    assert.throws(() => strictly('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', { ...config, failure_mode_allow: 'no' }));
  });
});

describe('deploy/istio: the CUSTOM provider and its policy', () => {
  it('the provider calls auth-service’s gRPC port, fails closed, and the policy uses it', () => {
    const mesh = yamlOf('deploy/istio/extension-provider.yaml');
    const [provider] = mesh.spec.meshConfig.extensionProviders as Doc[];
    const service = k8sService();
    assert.match(provider?.envoyExtAuthzGrpc.service, new RegExp(`^${service.name}\\.`));
    assert.equal(provider?.envoyExtAuthzGrpc.port, service.ports.grpc);
    assert.equal(provider?.envoyExtAuthzGrpc.failOpen, false);
    assert.match(provider?.envoyExtAuthzGrpc.timeout, /^\d+(\.\d+)?s$/);

    const policy = yamlOf('deploy/istio/authorization-policy.yaml');
    assert.equal(policy.apiVersion, 'security.istio.io/v1');
    assert.equal(policy.kind, 'AuthorizationPolicy');
    assert.equal(policy.spec.action, 'CUSTOM');
    assert.equal(policy.spec.provider.name, provider?.name);
  });
});

describe('deploy/traefik: ForwardAuth labels', () => {
  it('point at /auth/verify on auth-service’s HTTP port and copy the user headers the service sends by default', () => {
    const [compose] = parseAllDocuments(readFileSync(join(ROOT, 'deploy/traefik/docker-compose.yml'), 'utf8'), { uniqueKeys: true });
    const labels = Object.fromEntries(
      ((compose?.toJS() as Doc).services.app.labels as string[]).map((label) => [label.slice(0, label.indexOf('=')), label.slice(label.indexOf('=') + 1)]),
    );
    const defaults = loadConfig({});
    const userHeaders = [defaults.AUTHZ_USER_ID_HEADER, defaults.AUTHZ_REALM_HEADER, defaults.AUTHZ_SCOPES_HEADER];
    const middlewares = Object.keys(labels).filter((key) => key.endsWith('.forwardauth.address'));
    assert.ok(middlewares.length >= 2);
    for (const key of middlewares) {
      const url = new URL(labels[key] as string);
      assert.equal(`${url.hostname}:${url.port}${url.pathname}`, `${k8sService().name}:${k8sService().ports.http}${VERIFY_PATH}`, key);
      const copied = labels[key.replace('.address', '.authResponseHeaders')]?.split(',').map((name) => name.toLowerCase());
      assert.deepEqual(copied, userHeaders, key);
    }
    for (const router of ['app', 'admin']) {
      const used = labels[`traefik.http.routers.${router}.middlewares`];
      assert.ok(middlewares.some((key) => key === `traefik.http.middlewares.${used}.forwardauth.address`), router);
    }
  });
});
