#!/usr/bin/env node
// Performs a Dockerfile's steps without Docker: each stage becomes a directory standing for the image's
// root filesystem, COPY copies from the build context (honouring .dockerignore) or from an earlier
// stage, RUN runs in the stage's WORKDIR with the stage's ENV. The base image is a Node.js binary (--node,
// default the one running this script) whose version must match the FROM tag (node:24, node:24.22.3...);
// each stage gets it as <root>/usr/local/bin/node, where the node images keep theirs, first on PATH (npm
// is this machine's, run by it). Prints a JSON description of the last stage (its root directory, WORKDIR,
// ENV, USER, EXPOSE, CMD, Node.js version) on stdout; progress goes to stderr.
//
// Usage: node scripts/dockerfile-run.mjs --out DIR [--context DIR] [--file Dockerfile] [--node PATH]
//
// Only what this project's Dockerfile uses is understood (ARG, FROM ... AS, ENV, WORKDIR, COPY [--from],
// shell-form RUN, USER, EXPOSE, exec-form CMD, LABEL); anything else stops with an error, so that the
// emulation never silently skips a step of the real recipe.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    context: { type: 'string', default: '.' },
    file: { type: 'string' },
    node: { type: 'string' },
  },
});
if (!args.out) fail('--out DIR is required');
const context = resolve(args.context);
const dockerfile = resolve(args.file ?? join(context, 'Dockerfile'));
const out = resolve(args.out);
mkdirSync(out, { recursive: true });

function fail(message) {
  process.stderr.write(`dockerfile-run: ${message}\n`);
  process.exit(1);
}
const log = (message) => process.stderr.write(`dockerfile-run: ${message}\n`);

// ---- parsing ---------------------------------------------------------------------------------------

/** Logical lines: comments dropped, backslash continuations joined. */
function instructions(text) {
  const result = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (!pending && /^\s*(#.*)?$/.test(line)) return;
    if (pending && /^\s*#/.test(line)) return; // comment lines inside a continuation are dropped
    if (!pending) startLine = index + 1;
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, '') + ' ';
      return;
    }
    pending += line;
    const match = /^\s*(\S+)\s*(.*)$/.exec(pending);
    pending = '';
    if (match) result.push({ line: startLine, keyword: match[1].toUpperCase(), rest: match[2].trim() });
  });
  if (pending) fail('Dockerfile ends inside a line continuation');
  return result;
}

function substitute(value, vars) {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => {
    const name = a ?? b;
    if (!(name in vars)) fail(`variable ${name} is not defined`);
    return vars[name];
  });
}

/** Splits "a=b c='d e'" (or the legacy "KEY value") into pairs. */
function keyValues(rest, keyword) {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*=/.test(rest)) {
    const [key, ...value] = rest.split(/\s+/);
    return [[key, value.join(' ')]];
  }
  const pairs = [];
  const re = /([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)\s*/gy;
  let match;
  while ((match = re.exec(rest))) {
    let value = match[2];
    if (/^".*"$/.test(value)) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (/^'.*'$/.test(value)) value = value.slice(1, -1);
    pairs.push([match[1], value]);
    if (re.lastIndex >= rest.length) break;
  }
  if (pairs.length === 0) fail(`cannot parse ${keyword} ${rest}`);
  return pairs;
}

/** Splits flags (--name=value) from the words of COPY. */
function flagsAndWords(rest) {
  const words = rest.split(/\s+/).filter(Boolean);
  const flags = {};
  while (words[0]?.startsWith('--')) {
    const [name, value] = words.shift().slice(2).split('=', 2);
    flags[name] = value;
  }
  return { flags, words };
}

// ---- .dockerignore -----------------------------------------------------------------------------------

function globToRegExp(pattern) {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const ignoreRules = (() => {
  const file = join(context, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = posix.normalize((negate ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, '');
      return { negate, re: globToRegExp(pattern) };
    });
})();

/** Docker's rule: the last matching pattern wins; a pattern matching a directory covers what is inside. */
function ignored(relPath) {
  const parts = relPath.split('/');
  let excluded = false;
  for (const rule of ignoreRules) {
    for (let n = 1; n <= parts.length; n++) {
      if (rule.re.test(parts.slice(0, n).join('/'))) {
        excluded = !rule.negate;
        break;
      }
    }
  }
  return excluded;
}

// ---- execution ---------------------------------------------------------------------------------------

const globalArgs = {};
const stages = [];
let stage;

/** The Node.js standing in for the base image's. */
const baseNode = (() => {
  // The file itself: a link to a symlink would dangle inside the stage.
  const path = realpathSync(args.node ?? process.execPath);
  const probe = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) fail(`--node ${path} does not run: ${probe.error?.message ?? probe.stderr}`);
  return { path, version: probe.stdout.trim().replace(/^v/, '') };
})();
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const stagePath = (root) => [join(root, 'usr/local/bin'), ...SYSTEM_PATH].join(':');

/** Puts the base Node.js where the node images have it; a hard link where possible (it is 100+ MB). */
function installBaseNode(root) {
  const target = join(root, 'usr/local/bin/node');
  mkdirSync(dirname(target), { recursive: true });
  try {
    linkSync(baseNode.path, target);
  } catch {
    copyFileSync(baseNode.path, target);
  }
}
// The image's npm cache (/root/.npm) starts as a copy of this machine's, as a BuildKit cache mount
// would: `npm ci` gets faster and installs the same thing. A copy, because a RUN may clean it.
// What the copy lacks is fetched as this machine's npm fetches it, with its CA file (a network that
// intercepts TLS needs one): a package this machine got by `npm install` has its packument cached
// in the full form, which does not answer the abbreviated one `npm ci` asks for.
const hostNpmConfig = Object.fromEntries(
  spawnSync('npm', ['config', 'get', 'cache', 'cafile'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((line) => /^(\w+)=(.*)$/.exec(line.trim()))
    .filter(Boolean)
    .map(([, key, value]) => [key, value]),
);
const hostNpmCache = hostNpmConfig.cache;
const hostNpmCaFile = hostNpmConfig.cafile && hostNpmConfig.cafile !== 'null' ? { npm_config_cafile: hostNpmConfig.cafile } : {};
function seedNpmCache(target) {
  if (existsSync(target)) return;
  mkdirSync(dirname(target), { recursive: true });
  if (hostNpmCache && existsSync(hostNpmCache)) {
    const copy = spawnSync('cp', ['-a', hostNpmCache, target], { stdio: ['ignore', 2, 2] });
    if (copy.status === 0) return;
  }
  mkdirSync(target, { recursive: true });
}

function inStage(path) {
  const absolute = posix.resolve(stage.workdir, path);
  return join(stage.root, ...absolute.split('/').filter(Boolean));
}

function copyTree(from, to, filter) {
  const info = statSync(from);
  if (info.isDirectory()) {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from)) {
      const source = join(from, entry);
      if (filter && !filter(source)) continue;
      copyTree(source, join(to, entry), filter);
    }
  } else {
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { preserveTimestamps: true });
  }
}

function copy(flags, words) {
  for (const flag of Object.keys(flags)) if (flag !== 'from') fail(`COPY --${flag} is not supported by this emulation`);
  if (words.length < 2) fail('COPY needs a source and a destination');
  if (words[0].startsWith('[')) fail('COPY in JSON form is not supported by this emulation');
  const dest = words.pop();
  const destIsDir = dest.endsWith('/') || words.length > 1;
  let sourceRoot;
  let filter;
  if (flags.from !== undefined) {
    const from = stages.find((s) => s.name === flags.from) ?? stages[Number(flags.from)];
    if (!from) fail(`COPY --from=${flags.from}: no such stage`);
    sourceRoot = from.root;
  } else {
    sourceRoot = context;
    filter = (path) => !ignored(relative(context, path).split(sep).join('/'));
  }
  for (const src of words) {
    if (/[*?[]/.test(src)) fail(`COPY wildcards are not supported by this emulation: ${src}`);
    const rel = flags.from !== undefined ? posix.resolve('/', src).slice(1) : posix.normalize(src).replace(/^\/+/, '');
    const source = join(sourceRoot, ...rel.split('/').filter(Boolean));
    if (!existsSync(source) || (filter && rel !== '.' && !filter(source))) {
      fail(`COPY ${src}: not found${filter ? ' in the build context (or excluded by .dockerignore)' : ''}`);
    }
    const isDir = statSync(source).isDirectory();
    const target = inStage(dest);
    copyTree(source, isDir || !destIsDir ? target : join(target, basename(source)), filter);
  }
}

function run(command) {
  if (command.startsWith('[')) fail('RUN in exec (JSON) form is not supported by this emulation');
  if (command.startsWith('--')) fail(`RUN flags are not supported by this emulation: ${command}`);
  const cwd = inStage(stage.workdir);
  mkdirSync(cwd, { recursive: true });
  const env = {
    PATH: stagePath(stage.root),
    HOME: join(stage.root, 'root'),
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    ...hostNpmCaFile,
    ...stage.env,
  };
  seedNpmCache(join(env.HOME, '.npm'));
  const user = stage.user === 'root' || stage.user === '0' || stage.user === '0:0' ? [] : userArgs(stage.user);
  const [file, ...argv] = [...user, '/bin/sh', '-c', command];
  log(`[${stage.name}] RUN ${command}`);
  const started = Date.now();
  const result = spawnSync(file, argv, { cwd, env, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) fail(`[${stage.name}] RUN ${command}: exit ${result.status ?? result.signal}`);
  log(`[${stage.name}] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function userArgs(user) {
  const [uid, gid = uid] = user.split(':');
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) fail(`USER ${user}: only numeric uid[:gid] is supported by this emulation`);
  return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'];
}

const text = readFileSync(dockerfile, 'utf8');
for (const { line, keyword, rest } of instructions(text)) {
  const where = `Dockerfile:${line}`;
  if (keyword === 'ARG' && !stage) {
    for (const [key, value] of keyValues(rest, keyword)) globalArgs[key] = value;
    continue;
  }
  if (keyword === 'FROM') {
    const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(substitute(rest, globalArgs));
    if (!match) fail(`${where}: cannot parse FROM ${rest}`);
    const [, image, name] = match;
    const tag = /^(?:docker\.io\/(?:library\/)?)?node:(\d+(?:\.\d+){0,2})(?:-|$)/.exec(image);
    if (!tag) fail(`${where}: base image ${image} is not emulated (only node:<version>[-variant] images, by a Node.js binary)`);
    const tagVersion = tag[1].split('.');
    if (tagVersion.some((part, i) => part !== baseNode.version.split('.')[i])) {
      fail(
        `${where}: ${image} is Node.js ${tag[1]} but the stand-in ${baseNode.path} is Node.js ${baseNode.version}; ` +
          'pass --node a matching binary (`bash scripts/tools.sh node` fetches the one tools/node pins and prints its directory)',
      );
    }
    const index = stages.length;
    stage = { name: name ?? String(index), image, root: join(out, `stage-${index}-${name ?? 'unnamed'}`), workdir: '/', env: {}, user: 'root', expose: [], cmd: undefined };
    mkdirSync(stage.root, { recursive: true });
    installBaseNode(stage.root);
    stages.push(stage);
    log(`FROM ${image} AS ${stage.name} (standing in: Node.js ${baseNode.version} from ${baseNode.path}, root ${stage.root})`);
    continue;
  }
  if (!stage) fail(`${where}: ${keyword} before FROM`);
  const vars = { ...globalArgs, ...stage.env };
  switch (keyword) {
    case 'ENV':
      for (const [key, value] of keyValues(rest, keyword)) stage.env[key] = substitute(value, vars);
      break;
    case 'WORKDIR':
      stage.workdir = posix.resolve(stage.workdir, substitute(rest, vars));
      mkdirSync(inStage(stage.workdir), { recursive: true });
      break;
    case 'COPY': {
      const { flags, words } = flagsAndWords(substitute(rest, vars));
      log(`[${stage.name}] COPY ${rest}`);
      copy(flags, words);
      break;
    }
    case 'RUN':
      run(rest);
      break;
    case 'USER':
      stage.user = substitute(rest, vars);
      if (stage.user !== 'root') userArgs(stage.user);
      break;
    case 'EXPOSE':
      stage.expose.push(...rest.split(/\s+/).map((port) => port.replace(/\/tcp$/, '')));
      break;
    case 'CMD':
      try {
        stage.cmd = JSON.parse(rest);
      } catch {
        fail(`${where}: CMD must be in exec (JSON) form, so that node is PID 1 and receives signals`);
      }
      if (!Array.isArray(stage.cmd) || !stage.cmd.every((word) => typeof word === 'string')) fail(`${where}: CMD must be a JSON array of strings`);
      break;
    case 'LABEL':
      break;
    default:
      fail(`${where}: ${keyword} is not supported by this emulation`);
  }
}
if (!stage) fail('no FROM in the Dockerfile');
if (!stage.cmd) fail('the last stage has no CMD');
process.stdout.write(
  JSON.stringify({
    root: stage.root,
    workdir: stage.workdir,
    env: { PATH: stagePath(stage.root), ...stage.env },
    node: baseNode.version,
    user: stage.user,
    expose: stage.expose,
    cmd: stage.cmd,
    stages: stages.map((s) => ({ name: s.name, image: s.image, root: s.root })),
  }) + '\n',
);
