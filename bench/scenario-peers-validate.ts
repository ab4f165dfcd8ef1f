import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { startMongo } from '../test/support/mongo.js';
import { startRestBaseline } from './baselines.js';
import type { Context } from './context.js';
import { seedGrpc } from './fixtures.js';
import { httpLoad, type HttpRun } from './http-load.js';
import { bestOf, type Load } from './load.js';
import { hydraTokens, kratosSessions, seedKratosIdentities, startHydra, startKratos, withPeers, type Peer } from './peers.js';
import { peakRssMiB, resetPeakRss, rssMiB, withCpu } from './procs.js';
import { cpuPerRequestUs, row, type Check, type Row, type Section } from './report.js';
import { startService, type Service } from './service.js';
import { validateClient, validateLoad } from './validate-load.js';

const TITLE = 'Token validation vs Ory Kratos and Ory Hydra';
const CONNECTIONS = 50;
const USERS = 4;
const TOKENS_PER_USER = 16;
/** Ours on the embedded store against their in-memory SQLite: at least this many times, per request and per CPU µs. */
const EMBEDDED_TARGET = 10;
/** Ours on FerretDB: ahead of both. */
const FERRETDB_TARGET = 1;
const CACHE_TTL_MS = 1000;

/** One thing measured: a server answering one kind of validation request. */
interface Subject {
  label: string;
  /** The processes whose CPU a request costs: the server, and its database when that is another process. */
  pids: number[];
  run: (seconds: number) => Promise<Load>;
}

/** The process running with `argument` on its command line (FerretDB's listen address names it), if any. */
function pidWithArgument(argument: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(argument)) return Number(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  return undefined;
}

const httpSubject = (label: string, pids: number[], run: Omit<HttpRun, 'connections' | 'seconds'>): Subject => ({
  label,
  pids,
  run: (seconds) => httpLoad({ ...run, connections: CONNECTIONS, seconds }),
});

const whoami = (kratos: Peer, sessions: string[]): Subject =>
  httpSubject(`${kratos.name} GET /sessions/whoami`, [kratos.pid], {
    url: `${kratos.publicUrl}/sessions/whoami`,
    method: 'GET',
    requests: sessions.map((token) => ({ headers: { 'x-session-token': token } })),
  });

const introspect = (hydra: Peer, tokens: string[]): Subject =>
  httpSubject(`${hydra.name} POST /admin/oauth2/introspect`, [hydra.pid], {
    url: `${hydra.adminUrl}/admin/oauth2/introspect`,
    method: 'POST',
    requests: tokens.map((token) => ({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    })),
  });

const ourRest = (label: string, service: Service, tokens: string[], databasePid?: number): Subject =>
  httpSubject(`ours POST /api/tokens/validate (${label})`, databasePid === undefined ? [service.pid] : [service.pid, databasePid], {
    url: `${service.httpUrl}/api/tokens/validate`,
    method: 'POST',
    requests: tokens.map((token) => ({ headers: { authorization: token } })),
  });

/** The resource server that introspects at our /oauth/introspect (RFC 7662 §2.1: callers authenticate). */
const INTROSPECTION_CLIENT = { id: 'bench-resource-server', secret: 'bench-introspection-secret' };

/** An INTROSPECTION_CLIENTS_FILE naming INTROSPECTION_CLIENT, in a directory of its own. */
async function introspectionClientsFile(): Promise<{ path: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'auth-bench-'));
  const path = join(dir, 'introspection-clients');
  writeFileSync(path, `${INTROSPECTION_CLIENT.id}:${await bcrypt.hash(INTROSPECTION_CLIENT.secret, 10)}\n`);
  return { path, stop: async () => rmSync(dir, { recursive: true, force: true }) };
}

const ourIntrospect = (service: Service, tokens: string[]): Subject =>
  httpSubject('ours POST /oauth/introspect (embedded)', [service.pid], {
    url: `${service.httpUrl}/oauth/introspect`,
    method: 'POST',
    requests: tokens.map((token) => ({
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${INTROSPECTION_CLIENT.id}:${INTROSPECTION_CLIENT.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token }).toString(),
    })),
  });

const ratio = (ours: number | undefined, theirs: number | undefined): number => (ours && theirs ? ours / theirs : NaN);

/** Per request and per CPU µs, ours against one peer's validation. */
function checksAgainst(label: string, ours: Row, peer: Peer, theirs: Row, target: number): Check[] {
  const perRequest = ratio(ours.rps, theirs.rps);
  const perCpu = ratio(cpuPerRequestUs(theirs), cpuPerRequestUs(ours));
  const at = target === 1 ? 'ahead of' : `≥ ${target}×`;
  return [
    { target: `validation (${label}) ${at} ${peer.name} per request`, measured: `${perRequest.toFixed(2)}×`, met: perRequest >= target },
    { target: `validation (${label}) ${at} ${peer.name} per CPU µs`, measured: `${perCpu.toFixed(2)}×`, met: perCpu >= target },
  ];
}

/**
 * Token validation over HTTP, alternating: Kratos's whoami and Hydra's introspection (both on their
 * in-memory SQLite) against our POST /api/tokens/validate on the embedded store and on FerretDB and
 * our RFC 7662 /oauth/introspect,
 * every one driven by autocannon over every token in turn; our gRPC ValidateToken beside them.
 */
export const peersValidateScenario = (ctx: Context): Promise<Section> =>
  withPeers(TITLE, async () => {
    const stops: (() => Promise<void>)[] = [];
    const started = async <T extends { stop(): Promise<void> }>(thing: Promise<T>): Promise<T> => {
      const value = await thing;
      stops.push(() => value.stop());
      return value;
    };
    try {
      const mongo = await started(startMongo());
      const databasePid = pidWithArgument(`--listen-addr=${new URL(mongo.uri).host}`);
      const kratos = await started(startKratos());
      const hydra = await started(startHydra());
      const clients = await started(introspectionClientsFile());
      const embedded = await started(startService(ctx, undefined, { INTROSPECTION_CLIENTS_FILE: clients.path }));
      const floor = await started(startRestBaseline());
      // A process of its own: memory that a full-speed gRPC run leaves resident would count as REST's.
      const embeddedGrpc = await started(startService(ctx));
      const onFerret = await started(startService(ctx, { uri: mongo.uri, dbName: mongo.newDbName() }));
      const cached = await started(startService(ctx, { uri: mongo.uri, dbName: mongo.newDbName() }, { TOKEN_CACHE_TTL_MS: String(CACHE_TTL_MS) }));

      await seedKratosIdentities(kratos, USERS, ctx.bcryptCost);
      const sessions = await kratosSessions(kratos, USERS, TOKENS_PER_USER);
      const accessTokens = await hydraTokens(hydra, USERS * TOKENS_PER_USER);
      const tokens = await seedGrpc(embedded.grpcAddress, USERS, TOKENS_PER_USER);
      const grpcTokens = await seedGrpc(embeddedGrpc.grpcAddress, USERS, TOKENS_PER_USER);
      const ferretTokens = await seedGrpc(onFerret.grpcAddress, USERS, TOKENS_PER_USER);
      const cachedTokens = await seedGrpc(cached.grpcAddress, USERS, TOKENS_PER_USER);
      const idle = [kratos, hydra, embedded, floor].map((server) => rssMiB(server.pid));

      const grpc: Subject = {
        label: 'ours gRPC ValidateToken (embedded)',
        pids: [embeddedGrpc.pid],
        run: (seconds) => validateLoad(ctx, embeddedGrpc.grpcAddress, grpcTokens, { seconds }),
      };
      // Ours and theirs alternate: Kratos, ours, Hydra, ours...
      const subjects = [
        whoami(kratos, sessions),
        ourRest('embedded', embedded, tokens),
        introspect(hydra, accessTokens),
        ourIntrospect(embedded, tokens),
        grpc,
        ourRest('FerretDB', onFerret, ferretTokens, databasePid),
        ourRest(`FerretDB, TOKEN_CACHE_TTL_MS=${CACHE_TTL_MS}`, cached, cachedTokens, databasePid),
        httpSubject('floor: Node.js, grpc-js and Fastify answering a constant', [floor.pid], {
          url: `${floor.url}/api/tokens/validate`,
          method: 'POST',
          requests: tokens.map((token) => ({ headers: { authorization: token } })),
        }),
      ];
      const peaks = new Map<Subject, number>();
      const measure = (subject: Subject) => async () => {
        const [pid = 0] = subject.pids;
        resetPeakRss(pid);
        const load = await withCpu(subject.pids, () => subject.run(ctx.seconds));
        peaks.set(subject, Math.max(peaks.get(subject) ?? 0, peakRssMiB(pid)));
        return load;
      };
      for (const subject of subjects) await subject.run(ctx.warmupSeconds);
      const loads = await bestOf<Load[]>(ctx.rounds, subjects.map(measure));

      const rows = subjects.map((subject, index) => row(subject.label, loads[index] as Load, { peakRssMiB: peaks.get(subject) }));
      const [kratosRow, oursRow, hydraRow, introspectRow, , ferretRow, , floorRow] = rows as [Row, Row, Row, Row, Row, Row, Row, Row];
      const fasterPeer = Math.max(kratosRow.rps ?? 0, hydraRow.rps ?? 0);
      for (const ours of rows.filter((r) => r.subject.startsWith('ours') || r === floorRow)) ours.ratio = ratio(ours.rps, fasterPeer);
      const lightestPeer = Math.min(kratosRow.peakRssMiB ?? Infinity, hydraRow.peakRssMiB ?? Infinity);
      return {
        title: `${TITLE} (in-memory SQLite), over HTTP`,
        rows,
        checks: [
          ...checksAgainst('embedded', oursRow, kratos, kratosRow, EMBEDDED_TARGET),
          ...checksAgainst('embedded', oursRow, hydra, hydraRow, EMBEDDED_TARGET),
          ...checksAgainst('RFC 7662 introspection, embedded', introspectRow, hydra, hydraRow, EMBEDDED_TARGET),
          ...checksAgainst('FerretDB', ferretRow, kratos, kratosRow, FERRETDB_TARGET),
          ...checksAgainst('FerretDB', ferretRow, hydra, hydraRow, FERRETDB_TARGET),
          {
            target: 'peak RSS under validation load no higher than either peer (ours embedded, REST)',
            measured: `${oursRow.peakRssMiB?.toFixed(0)} MiB vs ${kratosRow.peakRssMiB?.toFixed(0)} (Kratos), ${hydraRow.peakRssMiB?.toFixed(0)} (Hydra)`,
            met: (oursRow.peakRssMiB ?? Infinity) <= lightestPeer,
          },
        ],
        notes: [
          `HTTP rows: autocannon, ${CONNECTIONS} keep-alive connections, HTTP/1.1 unpipelined, each connection sending the ${USERS * TOKENS_PER_USER} tokens (sessions) in turn from another start; ` +
            `gRPC row: ${validateClient(ctx)}. Best of ${ctx.rounds} alternating runs of ${ctx.seconds} s; ratio = ours over the faster peer`,
          `CPU is the server's, all threads; on FerretDB it adds FerretDB's own process${databasePid === undefined ? ' (not here: MONGODB_URI names an external server, whose CPU is not counted)' : ''}, ` +
            'as the peers\' SQLite runs inside theirs. Peak RSS is the server\'s alone',
          `RSS idle after seeding: Kratos ${idle[0]?.toFixed(0)} MiB, Hydra ${idle[1]?.toFixed(0)} MiB, ours (embedded) ${idle[2]?.toFixed(0)} MiB, the floor ${idle[3]?.toFixed(0)} MiB`,
          `the floor row (baselines/rest-empty.mjs) is the least a Node.js service with both transports holds under this load: a gRPC server with nothing on it and the REST route answering a constant, no store, no hashing threads; its peak RSS ${floorRow.peakRssMiB?.toFixed(0)} MiB against Hydra's ${hydraRow.peakRssMiB?.toFixed(0)} and Kratos's ${kratosRow.peakRssMiB?.toFixed(0)}`,
          'Kratos: whoami with X-Session-Token, session.whoami.required_aal aal1; Hydra: introspection of opaque client_credentials tokens (form body token=…, its admin port unauthenticated); ours: the token in Authorization, and /oauth/introspect with the same form body and HTTP Basic client authentication (RFC 7662 §2.1)',
        ],
      };
    } finally {
      for (const stop of stops.reverse()) await stop();
    }
  });
