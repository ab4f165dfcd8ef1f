import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { openLoopBackSource } from './adapters/loopback-source.js';
import { createStorage } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { importLoopBack, needsAttention, type DuplicatePolicy } from './core/migration/import-loopback.js';
import { createLogger } from './logger.js';
import { formatSummary } from './transport/cli/import-summary.js';
import { progressBar } from './transport/cli/progress-bar.js';

/** Exit codes: 0 everything imported; 1 users left out (listed); 2 usage, configuration or a failed run. */
const EXIT_ATTENTION = 1;
const EXIT_FAILED = 2;

const USAGE = `Usage: node dist/cli.js import-loopback --from <mongodb uri> [options]
       (from a clone: npm run import-loopback -- --from <mongodb uri> [options])

Copies a LoopBack 2/3 app's users (with their bcrypt hashes) and live access tokens from its MongoDB
into the store this service is configured with (MONGODB_URI, MONGODB_DB). Running it again changes
nothing; an interrupted run is finished by running it again.

  --from <uri>            LoopBack's MongoDB (required)
  --db <name>             its database (default: the one named in the URI; one must name it)
  --users <collection>    its user model's collection (default: User)
  --tokens <collection>   its access token collection (default: AccessToken)
  --realm <realm>         the realm of users that have none (default: "", the default realm)
  --on-duplicate <rule>   users whose emails differ only in case or spaces:
                          none (default: import none of them) or most-recent (the one used last)
  --batch-size <n>        documents read and written at a time (default: 500)
  --dry-run               read everything, write nothing, report what a run would do
  --json                  print the report as JSON instead of the summary
  --help

Exit code: 0 when every user was imported (expired tokens are skipped as a matter of course),
1 when users were left out (conflicts, invalid documents: listed), 2 on a usage, configuration or
database error.
`;

function fail(message: string): never {
  process.stderr.write(`auth-service: ${message}\n`);
  process.exit(EXIT_FAILED);
}

const DUPLICATE_POLICIES: readonly DuplicatePolicy[] = ['none', 'most-recent'];

const IMPORT_OPTIONS = {
  from: { type: 'string' },
  db: { type: 'string' },
  users: { type: 'string', default: 'User' },
  tokens: { type: 'string', default: 'AccessToken' },
  realm: { type: 'string', default: '' },
  'on-duplicate': { type: 'string', default: 'none' },
  'batch-size': { type: 'string', default: '500' },
  'dry-run': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const parseStrictly = (args: string[]) => parseArgs({ args, strict: true, options: IMPORT_OPTIONS }).values;

function parseImportArgs(args: string[]) {
  let values: ReturnType<typeof parseStrictly>;
  try {
    values = parseStrictly(args);
  } catch (err) {
    // parseArgs names the option it does not know, or the one missing its value.
    fail(`import-loopback: ${err instanceof Error ? err.message : String(err)} (see --help)`);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (!values.from) fail('import-loopback: --from <mongodb uri> is required (see --help)');
  const onDuplicate = values['on-duplicate'] as DuplicatePolicy;
  if (!DUPLICATE_POLICIES.includes(onDuplicate)) fail(`import-loopback: --on-duplicate must be ${DUPLICATE_POLICIES.join(' or ')}`);
  const batchSize = Number(values['batch-size']);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 10_000) fail('import-loopback: --batch-size must be 1 to 10000');
  // Else the driver would read a database called `test`: an empty import that looks like success.
  const db = values.db ?? /^mongodb(?:\+srv)?:\/\/[^/]+\/([^/?]+)/.exec(values.from)?.[1];
  if (!db) fail("import-loopback: name LoopBack's database, in the URI (mongodb://host/myapp) or with --db");
  return { ...values, from: values.from, db: decodeURIComponent(db), onDuplicate, batchSize };
}

async function importLoopBackCommand(args: string[]): Promise<number> {
  const options = parseImportArgs(args);
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  if (!config.MONGODB_URI && !options['dry-run']) {
    fail('import-loopback: MONGODB_URI is not set, so there is no store to import into (only a --dry-run runs without one)');
  }
  // Stdout carries the summary (or JSON). The store's notices (such as FerretDB's refused TTL index) are
  // the service's business, not the import's: only errors reach stderr.
  const logger = createLogger('error', pino.destination({ dest: 2, sync: true }));
  const storage = await createStorage(config, logger, 'batch');
  const source = await openLoopBackSource({
    uri: options.from,
    dbName: options.db,
    users: options.users,
    tokens: options.tokens,
    batchSize: options.batchSize,
  });
  const bar = process.stdout.isTTY && !options.json ? progressBar(process.stdout) : undefined;
  let report;
  try {
    await storage.lifecycle.init();
    report = await importLoopBack(
      { users: storage.users, tokens: storage.tokens, now: () => new Date() },
      source,
      { defaultRealm: options.realm, userModel: options.users, onDuplicate: options.onDuplicate, dryRun: options['dry-run'] },
      bar?.update,
    );
  } finally {
    bar?.clear();
    await source.close();
    await storage.lifecycle.close();
  }
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatSummary(report, options));
  return needsAttention(report) ? EXIT_ATTENTION : 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  'import-loopback': importLoopBackCommand,
};

const [name = '', ...args] = process.argv.slice(2);
const command = COMMANDS[name];
if (!command) fail(`unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}`);
try {
  process.exitCode = await command(args);
} catch (err) {
  // The driver's message (the cause of a StoreUnavailableError) names host and port, never credentials.
  const reason = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
  fail(`${name} failed: ${reason}`);
}
