import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/net.js';
import { email, fetchJson, PASSWORD, postJson } from './fixtures.js';
import { track } from './procs.js';
import type { Section } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIGS = fileURLToPath(new URL('./peers/', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 2;

type PeerName = 'kratos' | 'hydra';
/** What scripts/peers.sh gave: the binaries, or why it failed (not retried within a run). */
let built: Record<PeerName, string> | Error | undefined;

/**
 * Kratos and Hydra, built by scripts/peers.sh into the tools cache on first use (minutes; later
 * runs find them there). Throws with the build's last line when they cannot be built.
 */
function peerBinaries(): Record<PeerName, string> {
  if (!built) {
    const build = spawnSync('bash', [join(ROOT, 'scripts/peers.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
    process.stderr.write(build.stderr);
    const bin = build.stdout.trim().split('\n').at(-1) ?? '';
    const last = build.stderr.trim().split('\n').at(-1) || build.error?.message || `exit ${String(build.status)}`;
    built = build.status === 0 ? { kratos: join(bin, 'kratos'), hydra: join(bin, 'hydra') } : new Error(last.startsWith('scripts/peers.sh') ? last : `scripts/peers.sh: ${last}`);
  }
  if (built instanceof Error) throw built;
  return built;
}

/**
 * Runs a peer scenario, or, when the peers cannot be built, returns a section that says so with
 * a failed check: the report shows it rather than leaving the scenario out.
 */
export async function withPeers(title: string, scenario: () => Promise<Section>): Promise<Section> {
  try {
    peerBinaries();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    process.stderr.write(`bench: ${title}: NOT MEASURED, the peers could not be built: ${why}\n`);
    return {
      title: `${title}: not measured`,
      rows: [],
      checks: [{ target: 'Ory Kratos and Ory Hydra built by scripts/peers.sh', measured: why, met: false }],
    };
  }
  return scenario();
}

export interface Peer {
  /** e.g. 'Kratos v1.3.1', as the binary reports its version. */
  name: string;
  pid: number;
  publicUrl: string;
  adminUrl: string;
  /** From spawn to the first 200 of its readiness endpoint. */
  startMs: number;
  stop(): Promise<void>;
}

const versionOf = (binary: string): string =>
  /Version:\s+(\S+)/.exec(execFileSync(binary, ['version'], { encoding: 'utf8' }))?.[1] ?? 'unknown version';

/**
 * Starts a peer in its config directory with the ports in its environment; ready when `readyPath`
 * on its admin port answers 200, polled every few ms. Fails with its last output if it exits first.
 */
async function startPeer(name: PeerName, args: string[], env: (ports: { public: number; admin: number }) => Record<string, string>, readyPath: string): Promise<Peer> {
  const binary = peerBinaries()[name];
  const ports = { public: await freePort(), admin: await freePort() };
  const started = performance.now();
  const child = spawn(binary, args, {
    cwd: join(CONFIGS, name),
    env: { PATH: process.env.PATH ?? '', ...env(ports) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = track(child);
  const { pid } = child;
  if (pid === undefined) throw new Error(`${binary} did not start`);
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    output.push(line);
    if (output.length > 20) output.shift();
  });
  let exited = false;
  void once(child, 'exit').then(() => (exited = true));
  const adminUrl = `http://127.0.0.1:${ports.admin}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const ready = await fetch(`${adminUrl}${readyPath}`).then((response) => response.ok, () => false);
    if (ready) break;
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`${binary} ${args.join(' ')}: ${exited ? 'exited' : 'not ready in time'}\n${output.join('\n')}`);
    }
    await delay(POLL_MS);
  }
  const startMs = performance.now() - started;
  const label = name === 'kratos' ? 'Kratos' : 'Hydra';
  return { name: `${label} ${versionOf(binary)}`, pid, publicUrl: `http://127.0.0.1:${ports.public}`, adminUrl, startMs, stop };
}

/**
 * Ory Kratos with bench/peers/kratos/kratos.yml: in-memory SQLite, the password method, bcrypt at
 * the service's cost. --dev because Kratos raises any cost below 12 to 12 otherwise.
 */
export const startKratos = (): Promise<Peer> =>
  startPeer(
    'kratos',
    ['serve', '-c', 'kratos.yml', '--dev', '--watch-courier=false', '--sqa-opt-out'],
    (ports) => ({
      SERVE_PUBLIC_PORT: String(ports.public),
      SERVE_PUBLIC_BASE_URL: `http://127.0.0.1:${ports.public}/`,
      SERVE_ADMIN_PORT: String(ports.admin),
      SERVE_ADMIN_BASE_URL: `http://127.0.0.1:${ports.admin}/`,
    }),
    '/admin/health/ready',
  );

/** Ory Hydra with bench/peers/hydra/hydra.yml: `serve all --dev`, in-memory SQLite, opaque access tokens. */
export const startHydra = (): Promise<Peer> =>
  startPeer(
    'hydra',
    ['serve', 'all', '--dev', '-c', 'hydra.yml', '--sqa-opt-out'],
    (ports) => ({
      SERVE_PUBLIC_PORT: String(ports.public),
      SERVE_ADMIN_PORT: String(ports.admin),
      URLS_SELF_ISSUER: `http://127.0.0.1:${ports.public}/`,
    }),
    '/health/ready',
  );

/**
 * Kratos identities for email(0..users-1) with the bench password, made through the admin API.
 * Checks that Kratos stored a bcrypt hash at `cost`: its --dev mode is what allows 10.
 */
export async function seedKratosIdentities(kratos: Peer, users: number, cost: number): Promise<void> {
  for (let n = 0; n < users; n++) {
    const identity = await postJson(`${kratos.adminUrl}/admin/identities`, {
      schema_id: 'default',
      traits: { email: email(n) },
      credentials: { password: { config: { password: PASSWORD } } },
    });
    const stored = await fetchJson(`${kratos.adminUrl}/admin/identities/${String(identity.id)}?include_credential=password`);
    const hash = JSON.stringify(stored).match(/"hashed_password":"(\$2[aby]\$\d\d\$)/)?.[1];
    if (hash !== `$2a$${cost}$`) throw new Error(`Kratos stored ${hash ?? 'no bcrypt hash'} where the bench wants bcrypt cost ${cost}`);
  }
}

/** One password login through Kratos's native API flow: create the flow, then submit it. Returns the session token. */
export async function kratosLogin(kratos: Peer, identifier: string): Promise<string> {
  const flow = await fetchJson(`${kratos.publicUrl}/self-service/login/api`);
  const answer = await postJson(`${kratos.publicUrl}/self-service/login?flow=${String(flow.id)}`, { method: 'password', identifier, password: PASSWORD });
  if (typeof answer.session_token !== 'string') throw new Error(`Kratos login gave no session token: ${JSON.stringify(answer)}`);
  return answer.session_token;
}

/**
 * `perUser` Kratos sessions for each of email(0..users-1), one login at a time: concurrent logins
 * on Kratos's in-memory SQLite sometimes fail ("concurrent update", see the login scenario).
 */
export async function kratosSessions(kratos: Peer, users: number, perUser: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let n = 0; n < users * perUser; n++) tokens.push(await kratosLogin(kratos, email(n % users)));
  return tokens;
}

/**
 * `count` opaque access tokens from Hydra: one client_credentials client, then that many token
 * requests. Checks that introspection calls the first one active (an unknown token answers 200 too).
 */
export async function hydraTokens(hydra: Peer, count: number): Promise<string[]> {
  const client = await postJson(`${hydra.adminUrl}/admin/clients`, { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' });
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: String(client.client_id), client_secret: String(client.client_secret) });
  const tokens: string[] = [];
  for (let n = 0; n < count; n++) {
    tokens.push(String((await fetchJson(`${hydra.publicUrl}/oauth2/token`, { method: 'POST', body: form })).access_token));
  }
  const introspection = await fetchJson(`${hydra.adminUrl}/admin/oauth2/introspect`, { method: 'POST', body: new URLSearchParams({ token: tokens[0] ?? '' }) });
  if (introspection.active !== true) throw new Error(`Hydra does not call its own token active: ${JSON.stringify(introspection)}`);
  return tokens;
}
