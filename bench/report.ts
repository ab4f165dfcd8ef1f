import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Load } from './load.js';
import { QUIET, onImageNode, type Machine } from './machine.js';

/** One measured subject: the service or a baseline, under one kind of load. */
export interface Row {
  subject: string;
  rps?: number;
  p50Ms?: number;
  p99Ms?: number;
  cpuPercent?: number;
  peakRssMiB?: number;
  /** This row's throughput over its baseline's, measured in the same run. */
  ratio?: number;
}

export const row = (subject: string, load: Load, extra: Pick<Row, 'peakRssMiB' | 'ratio'> = {}): Row => ({
  subject,
  rps: load.rps,
  p50Ms: load.p50Ms,
  p99Ms: load.p99Ms,
  cpuPercent: load.cpuPercent,
  peakRssMiB: load.peakRssMiB,
  ...extra,
});

/** A performance target (the README's Performance table) and whether this run met it. */
export interface Check {
  target: string;
  measured: string;
  met: boolean;
}

export interface Section {
  title: string;
  rows: Row[];
  checks: Check[];
  notes?: string[];
  /** Share of all cores that other work used just before the section started. */
  busyBefore?: number;
}

export interface Report {
  date: string;
  command: string;
  quick: boolean;
  machine: Machine;
  sections: Section[];
}

/** Server CPU per request: what the server spends whether or not it was the bottleneck. */
export const cpuPerRequestUs = (r: Pick<Row, 'cpuPercent' | 'rps'>): number | undefined =>
  r.cpuPercent === undefined || !r.rps ? undefined : (r.cpuPercent * 1e4) / r.rps;

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || Number.isNaN(value) ? '' : value.toFixed(digits);

function tableRows(section: Section): string[][] {
  return section.rows.map((r) => [
    r.subject,
    fixed(r.rps, (r.rps ?? 0) < 100 ? 1 : 0),
    fixed(r.p50Ms, 2),
    fixed(r.p99Ms, 2),
    fixed(r.cpuPercent, 0),
    fixed(cpuPerRequestUs(r), 0),
    fixed(r.peakRssMiB, 0),
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
  ]);
}

function notes(section: Section): string[] {
  const busy = section.busyBefore ?? 0;
  const warning = busy > QUIET ? [`other work kept ${Math.round(busy * 100)} % of the machine busy when this section started: numbers are low and noisy`] : [];
  return [...(section.notes ?? []), ...warning];
}

const HEADER = ['subject', 'req/s', 'p50 ms', 'p99 ms', 'CPU %', 'CPU µs/req', 'peak RSS MiB', 'ratio'];

/** Which Node.js ran it, and whether that is the one production runs. */
function runtime(machine: Machine): string {
  const image = onImageNode(machine) ? 'the image\'s' : `not the image's ${machine.imageNode}: not production's figures`;
  return `Node ${machine.node} (V8 ${machine.v8}; ${image})`;
}

/** Plain-text table for the terminal. */
export function formatText(report: Report): string {
  const lines: string[] = [`bench on ${runtime(report.machine)}`];
  for (const section of report.sections) {
    const rows = [HEADER, ...tableRows(section)];
    const widths = HEADER.map((_, column) => Math.max(...rows.map((cells) => cells[column]?.length ?? 0)));
    lines.push('', `== ${section.title}`);
    for (const cells of rows) lines.push(cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  '));
    for (const check of section.checks) lines.push(`   ${check.met ? 'MET ' : 'MISS'}  ${check.target}: ${check.measured}`);
    for (const note of notes(section)) lines.push(`   note: ${note}`);
  }
  return lines.join('\n');
}

export function formatMarkdown(report: Report): string {
  const { machine } = report;
  const lines = [
    `# Benchmark results${report.quick ? ' (quick smoke run: short, not for comparison)' : ''}`,
    '',
    `${report.date} · ${machine.cpus} × ${machine.model}, ${machine.memGiB} GiB · ${runtime(machine)} · ` +
      `load average at start ${machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')} · \`${report.command}\``,
  ];
  for (const section of report.sections) {
    lines.push('', `## ${section.title}`, '', `| ${HEADER.join(' | ')} |`, `|${HEADER.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const cells of tableRows(section)) lines.push(`| ${cells.join(' | ')} |`);
    if (section.checks.length > 0) lines.push('');
    for (const check of section.checks) lines.push(`- ${check.met ? '✅' : '❌'} ${check.target}: ${check.measured}`);
    for (const note of notes(section)) lines.push(`- ${note}`);
  }
  return lines.join('\n') + '\n';
}

/** Writes bench/results/<name>.json and .md; returns their paths. */
export function writeResults(report: Report, name: string): string[] {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const base = `${dir}${name}`;
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(`${base}.md`, formatMarkdown(report));
  return [`${base}.json`, `${base}.md`];
}
