// NGINX from the system's packages (scripts/tools.sh installs it), run in the foreground on a
// configuration written for the test, in a directory of its own.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './net.js';

const TOOLS = fileURLToPath(new URL('../../scripts/tools.sh', import.meta.url));

export interface Nginx {
  port: number;
  /** What NGINX wrote to its error log so far. */
  errors(): string;
  stop(): Promise<void>;
}

/**
 * Starts NGINX with `http` as the body of its http { } block; `{{PORT}}` in it becomes the port it
 * listens on (on 127.0.0.1). Resolves once it accepts connections.
 */
export async function startNginx(http: string): Promise<Nginx> {
  const bin = join(execFileSync('bash', [TOOLS, 'nginx'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1) ?? '', 'nginx');
  const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
  const port = await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `${kind}_temp_path ${join(dir, kind)};`).join('\n  ');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
error_log ${join(dir, 'error.log')} warn;
pid ${join(dir, 'nginx.pid')};
events { worker_connections 256; }
http {
  access_log off;
  ${temp}
  ${http.replaceAll('{{PORT}}', String(port))}
}
`,
  );
  const child = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  process.once('exit', () => child.kill('SIGKILL'));
  const errors = () => {
    try {
      return stderr + readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return stderr;
    }
  };
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`nginx exited at start:\n${errors()}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch {
      if (attempt > 200) throw new Error(`nginx did not listen:\n${errors()}`);
      await delay(25);
    }
  }
  return {
    port,
    errors,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
