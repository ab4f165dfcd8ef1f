/**
 * The repository stands alone: a fresh clone holds everything its files point to. No file reaches
 * with `..` into the workspace folder that sits beside the clone during development, and every
 * relative link in a markdown file lands on a file or folder of the repository. `.ci/` is left out:
 * the machinery that runs CI owns it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One or more `..` segments, then a sibling folder named `shared`. */
const SIBLING_WORKSPACE = /(?:\.\.[/\\])+shared\b/;

/** Tracked files present in the working tree, repository-relative with `/` separators: what a clone holds. */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return [...new Set(listed.split('\0'))].filter((path) => path !== '' && statSync(join(ROOT, path), { throwIfNoEntry: false })?.isFile());
}

/** The link targets of a markdown text: inline links and images, and reference definitions. Code is not markdown, so it is skipped. */
function markdownLinks(markdown: string): string[] {
  const prose = markdown
    .replace(/^[ \t]*(`{3,}|~{3,})[^\n]*\n[\s\S]*?^[ \t]*\1[^\n]*$/gm, '')
    .replace(/(`+)[\s\S]*?\1/g, 'code');
  const inline = [...prose.matchAll(/!?\[[^\]]*\]\(\s*(<[^>]*>|[^\s)]+)/g)];
  const definitions = [...prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm)];
  return [...inline, ...definitions].map((match) => (match[1] ?? '').replace(/^<|>$/g, ''));
}

/** Why a link in `file` does not stay inside the repository, or undefined when it does. */
function linkProblem(file: string, target: string, inRepository: (path: string) => boolean): string | undefined {
  if (/^[a-z]:[\\/]/i.test(target)) return 'an absolute path';
  if (/^file:/i.test(target)) return 'a file: URL';
  // Web and mail links, and protocol-relative URLs, are not paths.
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  let path = target.replace(/[?#].*$/, '');
  try {
    path = decodeURIComponent(path);
  } catch {
    // Not percent-encoded after all: the path as written.
  }
  if (path === '') return undefined; // an anchor on the same page
  // As on GitHub, a leading `/` starts from the repository's root.
  const resolved = posix.normalize(path.startsWith('/') ? `.${path}` : posix.join(posix.dirname(file), path)).replace(/\/$/, '');
  if (resolved === '..' || resolved.startsWith('../')) return 'a path outside the repository';
  return inRepository(resolved) ? undefined : 'no such file or folder in the repository';
}

function linkProblems(file: string, markdown: string, files: readonly string[]): string[] {
  const inRepository = (path: string): boolean => path === '.' || files.some((candidate) => candidate === path || candidate.startsWith(`${path}/`));
  return markdownLinks(markdown).flatMap((target) => {
    const problem = linkProblem(file, target, inRepository);
    return problem === undefined ? [] : [`${file}: (${target}) is ${problem}`];
  });
}

describe('the repository stands alone', () => {
  const files = repositoryFiles();
  const scanned = files.filter((path) => !path.startsWith('.ci/'));

  it('no file reaches into the workspace folder beside the clone', () => {
    const offenders = scanned.flatMap((path) =>
      readFileSync(join(ROOT, path), 'utf8')
        .split('\n')
        .flatMap((line, index) => (SIBLING_WORKSPACE.test(line) ? [`${path}:${index + 1}: ${line.trim().slice(0, 120)}`] : [])),
    );
    assert.deepEqual(offenders, []);
  });

  it('every relative link in a markdown file lands inside the repository', () => {
    const markdownFiles = scanned.filter((path) => path.endsWith('.md'));
    // A scan that found nothing would pass for the wrong reason.
    for (const expected of ['README.md', 'docs/contract.md']) assert.ok(markdownFiles.includes(expected), `${expected} was not scanned`);
    assert.ok(markdownLinks(readFileSync(join(ROOT, 'docs/contract.md'), 'utf8')).length > 0, 'docs/contract.md has no links to check');
    const problems = markdownFiles.flatMap((path) => linkProblems(path, readFileSync(join(ROOT, path), 'utf8'), files));
    assert.deepEqual(problems, []);
  });

  it('the link check refuses what leaves the repository and ignores code', () => {
    // Built from parts, so that this file does not itself hold what it looks for.
    const beside = ['..', '..', 'shared'].join('/');
    const sample = [
      'See [the contract](contract.md#errors), [the README](../README.md), [a folder](../deploy/k8s/),',
      '[the root](/README.md), [the web](https://example.com/a/../b), [mail](mailto:a@example.com), [here](#model).',
      `[beside](${beside}/NOTES.md) [absolute](/etc/passwd) [file](file:///etc/passwd) [drive](C:\\notes.md)`,
      '[missing](gone.md) ![image](<../../outside.png>)',
      '',
      '[ref]: ../../elsewhere/notes.md',
      '',
      'Code is not a link: `[x](../../in-code.md)`.',
      '```sh',
      'echo "[y](../../in-a-block.md)"',
      '```',
    ].join('\n');
    assert.deepEqual(linkProblems('docs/sample.md', sample, ['README.md', 'docs/contract.md', 'deploy/k8s/service.yaml']), [
      `docs/sample.md: (${beside}/NOTES.md) is a path outside the repository`,
      'docs/sample.md: (/etc/passwd) is no such file or folder in the repository',
      'docs/sample.md: (file:///etc/passwd) is a file: URL',
      'docs/sample.md: (C:\\notes.md) is an absolute path',
      'docs/sample.md: (gone.md) is no such file or folder in the repository',
      'docs/sample.md: (../../outside.png) is a path outside the repository',
      'docs/sample.md: (../../elsewhere/notes.md) is a path outside the repository',
    ]);
    assert.ok(SIBLING_WORKSPACE.test(`see ${beside}/NOTES.md`) && !SIBLING_WORKSPACE.test('src/shared-secret.ts'));
  });
});
