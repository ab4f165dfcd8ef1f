// The physical limit of password checking: bcrypt.compare alone, CONCURRENCY calls in flight on the
// libuv pool (size from UV_THREADPOOL_SIZE), counted for DURATION_MS after WARMUP_MS. Prints one
// JSON result line, then stays up until SIGTERM so that its peak RSS can be read.
import bcrypt from 'bcrypt';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

const cost = Number(process.env.BCRYPT_COST ?? 10);
const concurrency = Number(process.env.CONCURRENCY ?? 8);
const durationMs = Number(process.env.DURATION_MS ?? 10_000);
const warmupMs = Number(process.env.WARMUP_MS ?? 2_000);

const password = 'correct horse battery staple';
const hash = await bcrypt.hash(password, cost);
const latencies = [];
let counting = false;
let running = true;

async function loop() {
  while (running) {
    const started = performance.now();
    if (!(await bcrypt.compare(password, hash))) throw new Error('compare failed');
    if (counting) latencies.push(performance.now() - started);
  }
}

const loops = Array.from({ length: concurrency }, loop);
await delay(warmupMs);
counting = true;
const started = performance.now();
await delay(durationMs);
counting = false;
const seconds = (performance.now() - started) / 1000;
running = false;
await Promise.all(loops);

latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
process.stdout.write(
  JSON.stringify({ msg: 'result', count: latencies.length, rps: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99) }) + '\n',
);
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 60_000);
