// npm run bench [-- --quick] [-- --only validate,login,rest,memory,start]
// Builds nothing itself (npm run bench builds first); starts every process it measures on
// 127.0.0.1 and kills them all at the end. See bench/README.md.
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { Context } from './context.js';
import { ghzBinary } from './ghz.js';
import { formatText, writeResults, type Report, type Section } from './report.js';
import { validateScenario } from './scenario-validate.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = values.quick ?? false;

const scenarios: Record<string, (ctx: Context) => Promise<Section[]>> = {
  validate: async (ctx) => [await validateScenario(ctx, 'embedded'), await validateScenario(ctx, 'FerretDB')],
};
const chosen = values.only ? values.only.split(',') : Object.keys(scenarios);
for (const name of chosen) if (!scenarios[name]) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);

const ctx: Context = {
  quick,
  cpus: cpus().length,
  bcryptCost: 10,
  ghz: ghzBinary(),
  warmupSeconds: quick ? 1 : 3,
  seconds: quick ? 2 : 8,
  rounds: quick ? 1 : 2,
};

const report: Report = {
  date: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  quick,
  machine: {
    cpus: ctx.cpus,
    model: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverageAtStart: loadavg(),
  },
  sections: [],
};

for (const name of chosen) {
  const started = Date.now();
  process.stderr.write(`bench: ${name}...\n`);
  report.sections.push(...(await scenarios[name]!(ctx)));
  process.stderr.write(`bench: ${name} took ${Math.round((Date.now() - started) / 1000)} s\n`);
}

process.stdout.write(formatText(report) + '\n');
for (const path of writeResults(report)) process.stdout.write(`wrote ${path}\n`);
