import { startApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

function fail(message: string): never {
  for (const line of message.split('\n')) process.stderr.write(`auth-service: ${line}\n`);
  process.exit(2);
}

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}

const logger = createLogger(config.LOG_LEVEL);
const app = await startApp(config, logger).catch((err: unknown) => {
  logger.fatal({ err }, 'start failed');
  fail('start failed: ' + (err instanceof Error ? err.message : 'unknown error'));
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
