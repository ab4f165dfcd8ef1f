import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '../../support/net.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGE = join(ROOT, 'packages/client');
const READMES = ['packages/client/README.md', 'README.md'];
/** What the consumer project installs besides the tarball, at the versions this repository locks. */
const PEERS = ['express', '@types/express', 'fastify', '@grpc/grpc-js', 'typescript', '@types/node'];
const PREFIX = 'auth-service-client-consumer-';

/**
 * The examples of the READMEs: every ```ts block whose first line is `// NAME.ts`. A file shown
 * in both READMEs must be the same in both.
 */
export function readmeExamples(): Map<string, string> {
  const examples = new Map<string, string>();
  for (const readme of READMES) {
    const text = readFileSync(join(ROOT, readme), 'utf8');
    for (const match of text.matchAll(/^```ts\n\/\/ ([\w-]+\.ts)\n([\s\S]*?)^```$/gm)) {
      const [, name = '', body = ''] = match;
      const source = `// ${name}\n${body}`;
      const seen = examples.get(name);
      if (seen !== undefined && seen !== source) throw new Error(`${readme}: ${name} differs from the one in ${READMES[0]}`);
      examples.set(name, source);
    }
  }
  return examples;
}

const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** Runs a command to its end; a failure's message carries what the command printed. */
function exec(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: err });
  }
}

const npm = (args: string[], cwd: string): string => exec('npm', args, cwd);

export interface Consumer {
  dir: string;
  /** The package as the consumer project installed it from the tarball. */
  importClient(): Promise<typeof import('@auth-service/client')>;
  /** Starts a compiled example (`express-app`...) and resolves once it prints `listening on`. */
  start(example: string, env: Record<string, string>): Promise<RunningExample>;
  /** Runs a compiled example to its end; resolves with what it printed. */
  run(example: string, env: Record<string, string>): string;
}

export interface RunningExample {
  port: number;
  output: string[];
  stop(): Promise<void>;
}

/** Packing skips the build (it takes seconds): the package must have been built since its last change. */
function assertBuilt(): void {
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => statSync(join(dir, name)).mtimeMs));
  const built = join(PACKAGE, 'dist/index.js');
  if (!existsSync(built) || newest(join(PACKAGE, 'src')) > statSync(built).mtimeMs) {
    throw new Error('packages/client is not built or older than its sources: run `npm run build:client` (npm test does)');
  }
}

/**
 * A project outside the repository that installs the packed tarball from npm's own `install`
 * (no workspace link, no path alias) with express, fastify and grpc-js, and compiles the README
 * examples with tsc against it. Built once per tarball and examples, in the temporary directory.
 */
export function consumerProject(): Consumer {
  assertBuilt();
  const packDir = mkdtempSync(join(tmpdir(), 'auth-service-client-pack-'));
  let dir: string;
  try {
    npm(['pack', '--ignore-scripts', '--workspace', '@auth-service/client', '--pack-destination', packDir], ROOT);
    const tarballName = readdirSync(packDir).find((name) => name.endsWith('.tgz'));
    if (!tarballName) throw new Error('npm pack made no tarball');
    const tarball = readFileSync(join(packDir, tarballName));
    const examples = readmeExamples();
    const peers = PEERS.map((name) => `${name}@${versionOf(name)}`);
    const key = createHash('sha256').update(tarball).update(JSON.stringify([peers, [...examples]])).digest('hex').slice(0, 16);
    dir = join(tmpdir(), `${PREFIX}${key}`);
    if (!existsSync(join(dir, 'dist'))) build(dir, join(packDir, tarballName), peers, examples);
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
  const running = new Set<ChildProcess>();
  process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));
  const script = (example: string) => join(dir, 'dist', `${example}.js`);
  const spawnEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', ...env });

  return {
    dir,
    async importClient() {
      const entry = createRequire(join(dir, 'package.json')).resolve('@auth-service/client');
      return (await import(pathToFileURL(entry).href)) as typeof import('@auth-service/client');
    },
    run(example, env) {
      return execFileSync(process.execPath, [script(example)], { cwd: dir, env: spawnEnv(env), encoding: 'utf8', timeout: 30_000 });
    },
    async start(example, env) {
      const port = await freePort();
      const child = spawn(process.execPath, [script(example)], { cwd: dir, env: spawnEnv({ ...env, PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(child);
      const exited = once(child, 'exit');
      const output: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${example} did not start:\n${output.join('\n')}`)), 20_000);
        for (const stream of [child.stdout, child.stderr]) {
          createInterface({ input: stream }).on('line', (line) => {
            output.push(line);
            if (!line.startsWith('listening on')) return;
            clearTimeout(timer);
            resolve();
          });
        }
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`${example} exited before listening:\n${output.join('\n')}`));
        });
      });
      return {
        port,
        output,
        async stop() {
          running.delete(child);
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          await exited;
        },
      };
    },
  };
}

function build(dir: string, tarball: string, peers: string[], examples: Map<string, string>): void {
  // Older builds (another tarball) are of no further use.
  for (const name of readdirSync(tmpdir())) if (name.startsWith(PREFIX)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  // Built aside and renamed into place, so that an interrupted build is never taken for a finished one.
  const work = mkdtempSync(join(tmpdir(), 'auth-service-client-build-'));
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...peers], work);
  mkdirSync(join(work, 'src'));
  for (const [name, source] of examples) writeFileSync(join(work, 'src', name), source);
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        types: ['node'],
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src'],
    }),
  );
  exec(process.execPath, [join(work, 'node_modules/typescript/bin/tsc'), '-p', work], work);
  renameSync(work, dir);
}
