// grpcurl and grpc-health-probe, from scripts/tools.sh (go install, cached).
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOLS = fileURLToPath(new URL('../../scripts/tools.sh', import.meta.url));
const BIN = execFileSync('bash', [TOOLS, 'grpcurl', 'grpc-health-probe'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  .trim()
  .split('\n')
  .at(-1) as string;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function tool(name: 'grpcurl' | 'grpc-health-probe', args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(join(BIN, name), args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** grpcurl -plaintext through reflection; `data` becomes -d JSON, `headers` -H lines. */
export function grpcurl(address: string, args: string[], data?: object, headers: string[] = []): Promise<Run> {
  const flags = ['-plaintext', '-max-time', '20', ...headers.flatMap((h) => ['-H', h])];
  if (data) flags.push('-d', JSON.stringify(data));
  return tool('grpcurl', [...flags, address, ...args]);
}
