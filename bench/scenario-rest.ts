import { fileURLToPath } from 'node:url';
import { installLoopBack } from '../test/support/loopback.js';
import type { Context } from './context.js';
import { email, PASSWORD, seedRest } from './fixtures.js';
import { httpLoad, type HttpRun } from './http-load.js';
import { bestOf } from './load.js';
import { peakRssMiB, resetPeakRss, spawnReady, withCpu, type Child } from './procs.js';
import { row, type Section } from './report.js';
import { startService } from './service.js';

const LOOPBACK = fileURLToPath(new URL('./loopback/server.cjs', import.meta.url));
const TARGETS = { authenticated: 5, login: 2.5 };
const REQUEST_CONNECTIONS = 50;

type Bcrypt = 'bcryptjs' | 'bcrypt';

/** LoopBack 3 with its memory connector, hashing at the same cost with the bcrypt library given. */
async function startLoopBack(ctx: Context, bcrypt: Bcrypt): Promise<Child & { url: string }> {
  const child = await spawnReady(
    process.execPath,
    [LOOPBACK],
    { PORT: '0', BCRYPT_COST: String(ctx.bcryptCost), LOOPBACK_BCRYPT: bcrypt },
    (line) => line.msg === 'loopback started',
  );
  if (child.ready.bcrypt !== bcrypt) throw new Error(`LoopBack loaded ${String(child.ready.bcrypt)}, not ${bcrypt}`);
  return { ...child, url: `http://127.0.0.1:${String(child.ready.port)}` };
}

const loginRequest = (url: string, ctx: Context): HttpRun => ({
  url: `${url}/api/users/login`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: email(0), password: PASSWORD }),
  // As many logins in flight as in the gRPC login scenario: enough to keep every core hashing.
  connections: 2 * ctx.cpus,
  seconds: ctx.seconds,
});

/**
 * Scenario 3: the REST gateway against LoopBack 3 on the same routes where they exist. The
 * authenticated request is LoopBack's canonical one, GET /api/users/{id} with the token (token
 * lookup, then an $owner ACL check), against ours, POST /api/tokens/validate with the token.
 */
export async function restScenario(ctx: Context): Promise<Section> {
  installLoopBack();
  const service = await startService(ctx);
  const loopback = await startLoopBack(ctx, 'bcryptjs');
  try {
    const ours = { pid: service.pid, ...(await seedRest(service.httpUrl)) };
    const theirs = { pid: loopback.pid, ...(await seedRest(loopback.url)) };
    const measure = (pid: number, run: HttpRun) => async () => {
      resetPeakRss(pid);
      const load = await withCpu(pid, () => httpLoad(run));
      return { ...load, peakRssMiB: peakRssMiB(pid) };
    };
    const ourAuthenticated: HttpRun = {
      url: `${service.httpUrl}/api/tokens/validate`,
      method: 'POST',
      headers: { authorization: ours.token },
      connections: REQUEST_CONNECTIONS,
      seconds: ctx.seconds,
    };
    const theirAuthenticated: HttpRun = {
      url: `${loopback.url}/api/users/${theirs.userId}`,
      method: 'GET',
      headers: { authorization: theirs.token },
      connections: REQUEST_CONNECTIONS,
      seconds: ctx.seconds,
    };
    const warm = (run: HttpRun) => httpLoad({ ...run, seconds: ctx.warmupSeconds });

    await warm(ourAuthenticated);
    await warm(theirAuthenticated);
    const [ourAuth, theirAuth] = await bestOf(ctx.rounds, [measure(ours.pid, ourAuthenticated), measure(theirs.pid, theirAuthenticated)]);
    await warm(loginRequest(service.httpUrl, ctx));
    await warm(loginRequest(loopback.url, ctx));
    const [ourLogin, theirLogin] = await bestOf(ctx.rounds, [
      measure(ours.pid, loginRequest(service.httpUrl, ctx)),
      measure(theirs.pid, loginRequest(loopback.url, ctx)),
    ]);
    await loopback.stop();

    // Not a target: how much of the login gap is bcryptjs against native bcrypt.
    const native = await startLoopBack(ctx, 'bcrypt');
    let nativeLogin;
    try {
      await seedRest(native.url);
      await warm(loginRequest(native.url, ctx));
      [nativeLogin] = await bestOf(ctx.rounds, [measure(native.pid, loginRequest(native.url, ctx))]);
    } finally {
      await native.stop();
    }

    const authRatio = ourAuth.rps / theirAuth.rps;
    const loginRatio = ourLogin.rps / theirLogin.rps;
    return {
      title: 'REST gateway vs LoopBack 3.28 (memory connector)',
      rows: [
        row('LoopBack GET /api/users/{id}, token', theirAuth),
        row('ours POST /api/tokens/validate, token', ourAuth, { ratio: authRatio }),
        row('LoopBack POST /api/users/login (bcryptjs)', theirLogin),
        row('ours POST /api/users/login', ourLogin, { ratio: loginRatio }),
        row('LoopBack login with native bcrypt (info)', nativeLogin, { ratio: ourLogin.rps / nativeLogin.rps }),
      ],
      checks: [
        { target: `authenticated request ≥ ${TARGETS.authenticated}× LoopBack`, measured: `${authRatio.toFixed(2)}×`, met: authRatio >= TARGETS.authenticated },
        { target: `login ≥ ${TARGETS.login}× LoopBack`, measured: `${loginRatio.toFixed(2)}×`, met: loginRatio >= TARGETS.login },
      ],
      notes: [
        `autocannon (latencies in whole ms), ${REQUEST_CONNECTIONS} keep-alive connections for the authenticated request, ${2 * ctx.cpus} for login; best of ${ctx.rounds} alternating runs of ${ctx.seconds} s`,
        'LoopBack 3 hashes with bcryptjs (pure JS, on its event loop) unless the app installs native bcrypt; the last row is LoopBack with native bcrypt, for reference only',
      ],
    };
  } finally {
    await loopback.stop();
    await service.stop();
  }
}
