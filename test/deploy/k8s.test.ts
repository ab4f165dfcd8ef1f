// Validates deploy/k8s: first against Kubernetes' own schema of the built-in kinds (offline, via
// scripts/k8s-validate.sh), then the operational requirements that a schema cannot express.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const K8S = join(ROOT, 'deploy/k8s');
const MANIFESTS = readdirSync(K8S)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => join(K8S, name));
/** The health service name that stays SERVING while the process lives (database or not). */
const LIVENESS_SERVICE = 'liveness';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function validate(files: string[]): Promise<{ code: number; docs: Doc[]; report: string }> {
  try {
    const { stdout, stderr } = await run('bash', [join(ROOT, 'scripts/k8s-validate.sh'), '-json', '-skip-kind', 'Kustomization', ...files], {
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, docs: JSON.parse(stdout) as Doc[], report: stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string; stdout?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, docs: [], report: `${e.stderr ?? ''}${String(err)}` };
  }
}

describe('deploy/k8s manifests', () => {
  let docs: Doc[] = [];
  const one = (kind: string): Doc => {
    const found = docs.filter((doc) => doc.kind === kind);
    assert.equal(found.length, 1, `expected exactly one ${kind}`);
    return found[0] as Doc;
  };

  before(async () => {
    const result = await validate(MANIFESTS);
    assert.equal(result.code, 0, `schema validation failed:\n${result.report}`);
    assert.match(result.report, /Summary: 6 resources valid, 0 invalid/);
    docs = result.docs;
  });

  it('pass the schema of the built-in Kubernetes kinds (strict: no undeclared fields, right types)', () => {
    assert.deepEqual(
      docs.map((doc) => `${doc.apiVersion} ${doc.kind}`).sort(),
      [
        'apps/v1 Deployment',
        'kustomize.config.k8s.io/v1beta1 Kustomization',
        'networking.k8s.io/v1 NetworkPolicy',
        'policy/v1 PodDisruptionBudget',
        'v1 ConfigMap',
        'v1 Secret',
        'v1 Service',
      ],
    );
  });

  it('the validator is not a rubber stamp: a typo, a wrong type and a duplicate key are rejected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-validate-'));
    const deployment = readFileSync(join(K8S, 'deployment.yaml'), 'utf8');
    const cases = {
      'typo.yaml': deployment.replace('readinessProbe:', 'readinesProbe:'),
      'type.yaml': deployment.replace(/replicas: \d+/, 'replicas: "two"'),
      'dup.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n',
      'kind.yaml': 'apiVersion: v1\nkind: Servise\nmetadata:\n  name: a\n',
    };
    for (const [name, text] of Object.entries(cases)) {
      assert.notEqual(text, deployment, name);
      writeFileSync(join(dir, name), text);
      const result = await validate([join(dir, name)]);
      assert.equal(result.code, 1, `${name} passed validation:\n${result.report}`);
      assert.match(result.report, /INVALID/, name);
    }
  });

  it('Deployment: at least 2 replicas, rolling without losing capacity, spread over nodes', () => {
    const deployment = one('Deployment');
    assert.ok(deployment.spec.replicas >= 2, 'replicas >= 2');
    assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
    const labels = deployment.spec.template.metadata.labels;
    for (const [key, value] of Object.entries(deployment.spec.selector.matchLabels)) assert.equal(labels[key], value, `selector ${key}`);
    assert.ok(deployment.spec.template.spec.topologySpreadConstraints?.length, 'topologySpreadConstraints');
  });

  it('Deployment: native gRPC probes on the grpc port (readiness on the overall status, liveness on a process-only one)', () => {
    const container = one('Deployment').spec.template.spec.containers[0];
    const grpcPort = container.ports.find((port: Doc) => port.name === 'grpc');
    assert.equal(grpcPort?.containerPort, 50051);
    assert.equal(container.ports.find((port: Doc) => port.name === 'http')?.containerPort, 3000);
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      assert.ok(container[probe]?.grpc, `${probe} is a gRPC probe`);
      assert.equal(container[probe].grpc.port, grpcPort.containerPort, `${probe} probes the grpc port`);
      assert.equal(container[probe].httpGet ?? container[probe].exec ?? container[probe].tcpSocket, undefined);
    }
    // "" is NOT_SERVING while the database is down and once SIGTERM arrives: right for readiness, and
    // wrong for liveness, which would restart every pod during a database outage.
    assert.ok(!container.readinessProbe.grpc.service, 'readiness asks for the overall status ("")');
    assert.equal(container.livenessProbe.grpc.service, LIVENESS_SERVICE);
    assert.equal(container.startupProbe.grpc.service, LIVENESS_SERVICE);
  });

  it('Deployment: resource requests and limits', () => {
    const { resources } = one('Deployment').spec.template.spec.containers[0];
    for (const kind of ['requests', 'limits']) {
      assert.ok(resources?.[kind]?.cpu, `${kind}.cpu`);
      assert.ok(resources?.[kind]?.memory, `${kind}.memory`);
    }
  });

  it('Deployment: non-root, read-only root filesystem, no privilege escalation, no capabilities, seccomp', () => {
    const pod = one('Deployment').spec.template.spec;
    const container = pod.containers[0];
    const dockerUser = /^USER\s+(\d+)(?::(\d+))?\s*$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    assert.ok(dockerUser, 'the Dockerfile has a numeric USER');
    for (const [where, context] of [['pod', pod.securityContext], ['container', container.securityContext]] as const) {
      assert.equal(context.runAsNonRoot, true, `${where} runAsNonRoot`);
      assert.ok(context.runAsUser > 0, `${where} runAsUser`);
      assert.equal(context.runAsUser, Number(dockerUser[1]), `${where} runAsUser is the image's USER`);
      assert.equal(context.seccompProfile?.type, 'RuntimeDefault', `${where} seccompProfile`);
    }
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    assert.equal(container.securityContext.capabilities.add, undefined);
    assert.equal(pod.automountServiceAccountToken, false);
    const tmp = container.volumeMounts.find((mount: Doc) => mount.mountPath === '/tmp');
    assert.ok(tmp, '/tmp is mounted (the root filesystem is read-only)');
    assert.ok(pod.volumes.find((volume: Doc) => volume.name === tmp.name)?.emptyDir, '/tmp is an emptyDir');
  });

  it('Deployment: the termination grace period outlasts preStop + SHUTDOWN_GRACE_MS', () => {
    const pod = one('Deployment').spec.template.spec;
    const graceMs = Number(one('ConfigMap').data.SHUTDOWN_GRACE_MS);
    assert.ok(graceMs > 0, 'SHUTDOWN_GRACE_MS set in the ConfigMap');
    const preStop = pod.containers[0].lifecycle?.preStop?.exec?.command as string[] | undefined;
    const preStopSeconds = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
    // Margin for closing the database and the process exit after the drain.
    assert.ok(
      pod.terminationGracePeriodSeconds >= preStopSeconds + graceMs / 1000 + 5,
      `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} <= ${preStopSeconds} + ${graceMs / 1000} + 5`,
    );
  });

  it('Deployment: settings from the ConfigMap, MONGODB_URI and RESET_WEBHOOK_SECRET from the Secret', () => {
    const container = one('Deployment').spec.template.spec.containers[0];
    const configMap = one('ConfigMap');
    const secret = one('Secret');
    assert.deepEqual(container.envFrom, [{ configMapRef: { name: configMap.metadata.name } }]);
    for (const [variable, key] of [['MONGODB_URI', 'mongodb-uri'], ['RESET_WEBHOOK_SECRET', 'reset-webhook-secret']] as const) {
      const env = container.env.find((entry: Doc) => entry.name === variable);
      assert.equal(env?.value, undefined, `${variable} is not inline`);
      assert.deepEqual(env?.valueFrom, { secretKeyRef: { name: secret.metadata.name, key } }, variable);
      assert.ok(secret.stringData[key], `the example Secret documents ${key}`);
    }
    for (const variable of ['MONGODB_URI', 'RESET_WEBHOOK_SECRET']) assert.equal(configMap.data[variable], undefined, `${variable} is not in the ConfigMap`);
  });

  it('ConfigMap + Secret + the image make a configuration that production accepts', () => {
    const configMap = one('ConfigMap');
    const secret = one('Secret');
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^ENV NODE_ENV=production$/m);
    const config = loadConfig({
      NODE_ENV: 'production',
      ...configMap.data,
      MONGODB_URI: 'mongodb://user:pass@mongo:27017/',
      RESET_WEBHOOK_SECRET: secret.stringData['reset-webhook-secret'],
    });
    assert.equal(config.GRPC_PORT, 50051);
    assert.equal(config.HTTP_PORT, 3000);
    assert.equal(config.HOST, '0.0.0.0');
    assert.ok(config.RESET_WEBHOOK_URL);
    // And without the Secret, production refuses to start.
    assert.throws(() => loadConfig({ NODE_ENV: 'production', ...configMap.data }), /MONGODB_URI/);
  });

  it('Secret example holds placeholders only and is not applied by kustomize', () => {
    const secret = one('Secret');
    for (const value of Object.values(secret.stringData as Record<string, string>)) assert.match(value, /REPLACE/);
    const kustomization = one('Kustomization');
    assert.ok(!kustomization.resources.includes('secret.example.yaml'));
    assert.deepEqual([...kustomization.resources].sort(), ['configmap.yaml', 'deployment.yaml', 'networkpolicy.yaml', 'pdb.yaml', 'service.yaml']);
  });

  it('Service: grpc (appProtocol grpc) and http ports, selecting the Deployment', () => {
    const service = one('Service');
    const deployment = one('Deployment');
    const labels = deployment.spec.template.metadata.labels;
    for (const [key, value] of Object.entries(service.spec.selector)) assert.equal(labels[key], value, `selector ${key}`);
    const grpc = service.spec.ports.find((port: Doc) => port.name === 'grpc');
    const http = service.spec.ports.find((port: Doc) => port.name === 'http');
    assert.equal(grpc?.appProtocol, 'grpc');
    assert.equal(grpc?.port, 50051);
    assert.equal(grpc?.targetPort, 'grpc');
    assert.equal(http?.port, 3000);
    assert.equal(http?.targetPort, 'http');
    const containerPorts = deployment.spec.template.spec.containers[0].ports.map((port: Doc) => port.name);
    assert.ok(containerPorts.includes('grpc') && containerPorts.includes('http'), 'target ports exist on the container');
  });

  it('AdminService: on its own port, in the cluster only, reachable only from labelled pods of the namespace', () => {
    const deployment = one('Deployment');
    const container = deployment.spec.template.spec.containers[0];
    const adminPort = container.ports.find((port: Doc) => port.name === 'admin');
    assert.equal(String(adminPort?.containerPort), one('ConfigMap').data.ADMIN_GRPC_PORT);
    const service = one('Service');
    assert.equal(service.spec.type, 'ClusterIP');
    assert.equal(service.spec.ports.find((port: Doc) => port.name === 'admin')?.targetPort, 'admin');

    const policy = one('NetworkPolicy');
    assert.deepEqual(policy.spec.podSelector.matchLabels, deployment.spec.selector.matchLabels);
    assert.deepEqual(policy.spec.policyTypes, ['Ingress']);
    const rulesFor = (name: string) => policy.spec.ingress.filter((rule: Doc) => rule.ports.some((port: Doc) => port.port === name));
    const [adminRule, ...others] = rulesFor('admin');
    assert.equal(others.length, 0, 'one rule opens the admin port');
    assert.deepEqual(adminRule.from, [{ podSelector: { matchLabels: { 'auth-service-admin': 'true' } } }], 'only labelled pods of this namespace');
    for (const name of ['grpc', 'http']) {
      const [open] = rulesFor(name);
      assert.equal(open?.from, undefined, `${name} is open to every caller`);
      assert.ok(!open.ports.some((port: Doc) => port.port === 'admin'), 'the open rule does not include the admin port');
    }
    // The configuration production runs with serves the admin service (plaintext inside the policy, or mTLS with TLS).
    assert.equal(
      loadConfig({ NODE_ENV: 'production', ...one('ConfigMap').data, MONGODB_URI: 'mongodb://m', RESET_WEBHOOK_SECRET: 's' }).ADMIN_GRPC_PORT,
      50052,
    );
  });

  it('PodDisruptionBudget: minAvailable 1, below the replica count, selecting the Deployment', () => {
    const pdb = one('PodDisruptionBudget');
    const deployment = one('Deployment');
    assert.equal(pdb.spec.minAvailable, 1);
    assert.ok(pdb.spec.minAvailable < deployment.spec.replicas, 'a node can still be drained');
    assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
  });

  it('the image exposes the ports the manifests use', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const exposed = /^EXPOSE\s+(.+)$/m.exec(dockerfile)?.[1]?.split(/\s+/) ?? [];
    for (const port of one('Deployment').spec.template.spec.containers[0].ports) assert.ok(exposed.includes(String(port.containerPort)), `EXPOSE ${port.containerPort}`);
  });
});
