import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { freePort } from './net.js';

const TOOLS = fileURLToPath(new URL('../../scripts/tools.sh', import.meta.url));
const READY_TIMEOUT_MS = 20_000;

export const MONGO_MISSING =
  'MongoDB tests need FerretDB (install Go: https://go.dev/dl, then scripts/tools.sh builds it) or MONGODB_URI pointing at MongoDB 6+';

export interface MongoHandle {
  /** `ferretdb`: a private FerretDB process this handle owns; `external`: the server of MONGODB_URI. */
  kind: 'ferretdb' | 'external';
  uri: string;
  /** A fresh database name for this handle. */
  dbName: string;
  /** Another fresh database name (one per test keeps tests apart); stop() drops it on an external server. */
  newDbName(): string;
  /**
   * FerretDB: stops the server (SIGKILL, an outage) and keeps its data for restart(); the data
   * directory is deleted when the test process exits. External: drops the databases this handle named.
   */
  stop(): Promise<void>;
  /** FerretDB: starts the server again (stopping it first if it runs) on the same port and data. External: throws. */
  restart(): Promise<void>;
  /** FerretDB only, the same as stop(): its presence tells a test that it can stage an outage. */
  kill?(): Promise<void>;
  /** FerretDB only. SIGSTOP: the server keeps its connections but answers nothing (a hung database). */
  pause?(): void;
  /** FerretDB only. SIGCONT after pause(). */
  resume?(): void;
}

/** What the test process must undo when it exits, however it exits: FerretDB processes and their data. */
const atExit = new Set<() => void>();
process.once('exit', () => {
  for (const cleanup of atExit) cleanup();
});

const randomDbName = () => `test_${randomBytes(6).toString('hex')}`;

/**
 * A MongoDB-compatible server for tests: the server of MONGODB_URI when it is set, else a private
 * FerretDB (SQLite backend) built by scripts/tools.sh. Never skips: without either it throws.
 */
export async function startMongo(): Promise<MongoHandle> {
  const external = process.env.MONGODB_URI;
  if (external) return externalMongo(external);

  let bin: string;
  try {
    const out = execFileSync('bash', [TOOLS, 'ferretdb'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    bin = out.trim().split('\n').at(-1) ?? '';
  } catch (err) {
    throw new Error(MONGO_MISSING, { cause: err });
  }
  return startFerretDb(join(bin, 'ferretdb'));
}

function externalMongo(uri: string): MongoHandle {
  const made: string[] = [];
  const newDbName = () => {
    const name = randomDbName();
    made.push(name);
    return name;
  };
  return {
    kind: 'external',
    uri,
    dbName: newDbName(),
    newDbName,
    async stop() {
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
      try {
        for (const name of made) await client.db(name).dropDatabase();
      } finally {
        await client.close();
      }
    },
    async restart() {
      throw new Error('restart() needs the private FerretDB: an external MONGODB_URI server cannot be restarted by the tests');
    },
  };
}

async function startFerretDb(binary: string): Promise<MongoHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'ferretdb-'));
  const port = await freePort();
  const uri = `mongodb://127.0.0.1:${port}/`;
  const output: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();

  const tail = () => output.slice(-30).join('\n');
  const launch = async () => {
    const proc = spawn(
      binary,
      ['--handler=sqlite', `--sqlite-url=file:${dir}/`, `--listen-addr=127.0.0.1:${port}`, '--state-dir=-',
        '--telemetry=disable', '--debug-addr=-'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    for (const stream of [proc.stdout, proc.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (output.length > 200) output.shift();
      });
    }
    let gone = false;
    exited = once(proc, 'exit')
      .catch((err: unknown) => output.push(String(err))) // spawn failed, e.g. no binary
      .finally(() => (gone = true));
    // Ready when a ping answers; an early exit or a timeout fails with what FerretDB said.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (gone) throw new Error(`FerretDB exited during start:\n${tail()}`);
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 250, connectTimeoutMS: 250 });
      try {
        await client.db('admin').command({ ping: 1 });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`FerretDB did not answer on ${uri} within ${READY_TIMEOUT_MS} ms:\n${tail()}`, { cause: err });
      } finally {
        await client.close();
      }
      await delay(100);
    }
  };
  const kill = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  atExit.add(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  try {
    await launch();
  } catch (err) {
    await kill();
    throw err;
  }

  return {
    kind: 'ferretdb',
    uri,
    dbName: randomDbName(),
    newDbName: randomDbName,
    stop: kill,
    async restart() {
      await kill();
      await launch();
    },
    kill,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  };
}
