import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Load } from './load.js';

/** One measured subject: the service or a baseline, under one kind of load. */
export interface Row {
  subject: string;
  rps?: number;
  p50Ms?: number;
  p99Ms?: number;
  peakRssMiB?: number;
  /** This row's throughput over its baseline's, measured in the same run. */
  ratio?: number;
}

export const row = (subject: string, load: Load, extra: Pick<Row, 'peakRssMiB' | 'ratio'> = {}): Row => ({
  subject,
  rps: load.rps,
  p50Ms: load.p50Ms,
  p99Ms: load.p99Ms,
  ...extra,
});

/** A target of issue 6 and whether this run met it. */
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
}

export interface Report {
  date: string;
  command: string;
  quick: boolean;
  machine: { cpus: number; model: string; memGiB: number; node: string; loadAverageAtStart: number[] };
  sections: Section[];
}

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || Number.isNaN(value) ? '' : value.toFixed(digits);

function tableRows(section: Section): string[][] {
  return section.rows.map((r) => [
    r.subject,
    fixed(r.rps, (r.rps ?? 0) < 100 ? 1 : 0),
    fixed(r.p50Ms, 2),
    fixed(r.p99Ms, 2),
    fixed(r.peakRssMiB, 0),
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
  ]);
}

const HEADER = ['subject', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MiB', 'ratio'];

/** Plain-text table for the terminal. */
export function formatText(report: Report): string {
  const lines: string[] = [];
  for (const section of report.sections) {
    const rows = [HEADER, ...tableRows(section)];
    const widths = HEADER.map((_, column) => Math.max(...rows.map((cells) => cells[column]!.length)));
    lines.push('', `== ${section.title}`);
    for (const cells of rows) lines.push(cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
    for (const check of section.checks) lines.push(`   ${check.met ? 'MET ' : 'MISS'}  ${check.target}: ${check.measured}`);
    for (const note of section.notes ?? []) lines.push(`   note: ${note}`);
  }
  return lines.join('\n');
}

export function formatMarkdown(report: Report): string {
  const { machine } = report;
  const lines = [
    `# Benchmark results${report.quick ? ' (quick smoke run: short, not for comparison)' : ''}`,
    '',
    `${report.date} · ${machine.cpus} × ${machine.model}, ${machine.memGiB} GiB · Node ${machine.node} · ` +
      `load average at start ${machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')} · \`${report.command}\``,
  ];
  for (const section of report.sections) {
    lines.push('', `## ${section.title}`, '', `| ${HEADER.join(' | ')} |`, `|${HEADER.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const cells of tableRows(section)) lines.push(`| ${cells.join(' | ')} |`);
    if (section.checks.length > 0) lines.push('');
    for (const check of section.checks) lines.push(`- ${check.met ? '✅' : '❌'} ${check.target}: ${check.measured}`);
    for (const note of section.notes ?? []) lines.push(`- ${note}`);
  }
  return lines.join('\n') + '\n';
}

/** Writes bench/results/<full|quick>.json and .md; returns their paths. */
export function writeResults(report: Report): string[] {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const base = `${dir}${report.quick ? 'quick' : 'full'}`;
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(`${base}.md`, formatMarkdown(report));
  return [`${base}.json`, `${base}.md`];
}
