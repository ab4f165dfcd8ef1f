// The container image, without a Docker engine: scripts/image-smoke.sh performs the Dockerfile's steps
// in clean directories (both stages) on the image's Node.js release (fetched by scripts/tools.sh, whatever
// Node.js runs this test), starts the result as the image's non-root USER with NODE_ENV=production against
// FerretDB, waits for gRPC health SERVING, makes real calls, sends SIGTERM and expects exit code 0.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('Dockerfile', () => {
  it("builds in two stages on the image's Node.js, serves as non-root in production mode and exits 0 on SIGTERM", { timeout: 900_000 }, async () => {
    const imageNode = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)-/m.exec(readFileSync(`${ROOT}Dockerfile`, 'utf8'))?.[1];
    assert.ok(imageNode, 'the Dockerfile pins an exact node:X.Y.Z-variant image');
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      // The caller's MONGODB_URI (an external database) is used when set; NODE_ENV=test is not passed on.
      const env = { ...process.env };
      delete env.NODE_ENV;
      execFile('bash', ['scripts/image-smoke.sh'], { cwd: ROOT, env, timeout: 840_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const exit = err ? ((err as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof exit === 'number' ? exit : null, output: `${stdout}${stderr}` });
      });
    });
    const tail = output.split('\n').slice(-60).join('\n');
    assert.equal(code, 0, `scripts/image-smoke.sh failed:\n${tail}`);
    assert.match(output, /image-smoke: PASS/, tail);
    assert.match(output, /exited 0 on SIGTERM/);
    assert.ok(output.includes(`the service runs on Node.js v${imageNode}`), `not served by Node.js ${imageNode}:\n${tail}`);
  });
});
