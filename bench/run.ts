// npm run bench [-- --quick] [--only validate,validate-ferretdb,validate-idle,login,login-storm,rest,memory,start,client,gateways,peers-validate,peers-login,peers-start] [--cpu-prof]
// Builds nothing itself (npm run bench builds first); starts every process it measures on
// 127.0.0.1 and kills them all at the end. See bench/README.md.
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Context } from './context.js';
import { ghzBinary } from './ghz.js';
import { h2loadBinary } from './h2load.js';
import { describeMachine, waitForQuiet } from './machine.js';
import { formatText, writeResults, type Report, type Section } from './report.js';
import { clientScenario } from './scenario-client.js';
import { gatewaysScenario } from './scenario-gateways.js';
import { idleScenario } from './scenario-idle.js';
import { loginScenario } from './scenario-login.js';
import { loginStormScenario } from './scenario-login-storm.js';
import { memoryScenario } from './scenario-memory.js';
import { peersLoginScenario } from './scenario-peers-login.js';
import { peersStartScenario } from './scenario-peers-start.js';
import { peersValidateScenario } from './scenario-peers-validate.js';
import { restScenario } from './scenario-rest.js';
import { startScenario } from './scenario-start.js';
import { validateScenario } from './scenario-validate.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'cpu-prof': { type: 'boolean', default: false } },
});
const quick = values.quick ?? false;

const scenarios: Record<string, (ctx: Context) => Promise<Section[]>> = {
  validate: async (ctx) => [await validateScenario(ctx, 'embedded')],
  'validate-ferretdb': async (ctx) => [await validateScenario(ctx, 'FerretDB')],
  'validate-idle': async (ctx) => [await idleScenario(ctx)],
  login: async (ctx) => [await loginScenario(ctx)],
  'login-storm': async (ctx) => [await loginStormScenario(ctx)],
  rest: async (ctx) => [await restScenario(ctx)],
  memory: async (ctx) => [await memoryScenario(ctx)],
  start: async (ctx) => [await startScenario(ctx)],
  client: async (ctx) => [await clientScenario(ctx)],
  // Ory Kratos and Hydra, built on first use by scripts/peers.sh (not by npm test).
  'peers-validate': async (ctx) => [await peersValidateScenario(ctx)],
  'peers-login': async (ctx) => [await peersLoginScenario(ctx)],
  'peers-start': async (ctx) => [await peersStartScenario(ctx)],
  gateways: async (ctx) => [await gatewaysScenario(ctx)],
};
const chosen = (values.only?.split(',') ?? Object.keys(scenarios)).map((name) => {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
  return { name, scenario };
});

const ctx: Context = {
  quick,
  cpus: cpus().length,
  bcryptCost: 10,
  ghz: ghzBinary(),
  h2load: h2loadBinary(),
  warmupSeconds: quick ? 1 : 3,
  seconds: quick ? 2 : 8,
  rounds: quick ? 1 : 2,
  // One .cpuprofile per service process, written when it stops; open in Chrome DevTools or speedscope.
  serviceNodeArgs: values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', fileURLToPath(new URL('./results/profiles/', import.meta.url))] : [],
};

const report: Report = {
  date: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  quick,
  machine: describeMachine(),
  sections: [],
};

for (const { name, scenario } of chosen) {
  const busy = await waitForQuiet(quick ? 5_000 : 30_000);
  const started = Date.now();
  process.stderr.write(`bench: ${name} (machine ${Math.round(busy * 100)} % busy before it)...\n`);
  for (const section of await scenario(ctx)) {
    report.sections.push({ ...section, busyBefore: busy });
  }
  process.stderr.write(`bench: ${name} took ${Math.round((Date.now() - started) / 1000)} s\n`);
}

const checks = report.sections.flatMap((section) => section.checks);
process.stdout.write(`${formatText(report)}\n\ntargets met: ${checks.filter((check) => check.met).length} of ${checks.length}\n`);
// A run of some scenarios never overwrites the results of a run of all of them.
const name = `${quick ? 'quick' : 'full'}${values.only ? '-partial' : ''}`;
for (const path of writeResults(report, name)) process.stdout.write(`wrote ${path}\n`);
