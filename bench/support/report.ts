import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = fileURLToPath(new URL('../results/latest.json', import.meta.url));

export type Unit = 'ratio' | 'ms' | 'bytes' | 'score' | 'req/s' | 'MB' | 'count';

/** What a figure should be; a figure without one is reported for information. */
export interface Goal {
  readonly op: '<=' | '>=';
  readonly target: number;
}

/** One measured number, as it appears in the table. */
export interface Figure {
  readonly figure: string;
  readonly value: number;
  readonly unit: Unit;
  readonly goal?: Goal;
  /** Said beside the figure, e.g. what it was measured against. */
  readonly note?: string;
  /** Why the figure could not be measured in this run; it is then reported as `not run`. */
  readonly notRun?: string;
}

export interface Section {
  /** e.g. `cold-start`: the npm script is `bench:<name>`. */
  readonly name: string;
  readonly title: string;
  readonly figures: readonly Figure[];
  /** Everything else measured (raw samples, per-package bytes), for the JSON file only. */
  readonly details?: unknown;
  /** Lines printed after the table (what dominates, how it was measured). */
  readonly findings?: readonly string[];
}

export interface RecordedSection extends Section {
  readonly measuredAt: string;
  readonly seconds: number;
  /** The commit measured (`git rev-parse --short HEAD`, `+` when the tree had changes). */
  readonly commit?: string;
  /** The machine's 1-minute load average when the section finished: others' work moves times. */
  readonly loadAverage1m?: number;
}

/** What `npm run bench` adds once every benchmark ran. */
export interface RunSummary {
  readonly startedAt: string;
  readonly minutes: number;
  /** Benchmarks whose script failed; their rows are missing. */
  readonly failed: readonly string[];
}

export interface ResultsFile {
  readonly machine: Readonly<Record<string, string | number>>;
  readonly sections: Readonly<Record<string, RecordedSection>>;
  readonly run?: RunSummary;
}

export type Verdict = 'pass' | 'miss' | 'info' | 'not run';

export function verdictOf(figure: Figure): Verdict {
  if (figure.notRun !== undefined) return 'not run';
  if (!figure.goal) return 'info';
  if (!Number.isFinite(figure.value)) return 'miss';
  return figure.goal.op === '<='
    ? figure.value <= figure.goal.target
      ? 'pass'
      : 'miss'
    : figure.value >= figure.goal.target
      ? 'pass'
      : 'miss';
}

export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'ratio':
      return `${value.toFixed(2)}×`;
    case 'ms':
      return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
    case 'bytes':
      return value >= 1_000_000 ? `${(value / 1_000_000).toFixed(2)} MB` : `${(value / 1000).toFixed(1)} kB`;
    case 'MB':
      return `${value.toFixed(1)} MB`;
    case 'score':
      return value.toFixed(3);
    case 'req/s':
      return `${value.toFixed(0)} req/s`;
    case 'count':
      return String(Math.round(value));
  }
}

function formatGoal(figure: Figure): string {
  if (!figure.goal) return '—';
  return `${figure.goal.op === '<=' ? '≤' : '≥'} ${formatValue(figure.goal.target, figure.unit)}`;
}

/** A Markdown table (readable in a terminal as it is, and pasted as is into the README). */
export function renderTable(sections: readonly Section[]): string {
  const rows = [['Benchmark', 'Figure', 'Value', 'Goal', 'Result']];
  for (const section of sections) {
    for (const figure of section.figures) {
      const value =
        figure.notRun !== undefined
          ? `not measured: ${figure.notRun}`
          : formatValue(figure.value, figure.unit) + (figure.note ? ` (${figure.note})` : '');
      rows.push([section.title, figure.figure, value, formatGoal(figure), verdictOf(figure)]);
    }
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] as string).length)));
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column] as number)).join(' | ')} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

export function summaryLine(sections: readonly Section[]): string {
  const verdicts = sections.flatMap((section) => section.figures.map(verdictOf));
  const count = (verdict: Verdict) => verdicts.filter((v) => v === verdict).length;
  const notRun = count('not run');
  return (
    `${count('pass')} goals met, ${count('miss')} missed, ${count('info')} figures for information` +
    (notRun > 0 ? `, ${notRun} not run` : '')
  );
}

export function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    });
    return dirty.trim() === '' ? commit : `${commit}+`;
  } catch {
    return 'unknown';
  }
}

export const loadAverage1m = (): number => Number((loadavg()[0] ?? 0).toFixed(2));

export function machineDescription(): Record<string, string | number> {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    // Other work on the machine moves absolute times; the ratios are measured within one run.
    loadAverage1m: loadAverage1m(),
    commit: gitCommit(),
  };
}

export async function readResults(): Promise<ResultsFile | undefined> {
  try {
    return JSON.parse(await readFile(RESULTS_FILE, 'utf8')) as ResultsFile;
  } catch {
    return undefined;
  }
}

async function writeResults(file: ResultsFile): Promise<void> {
  await mkdir(dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(file, null, 2)}\n`);
}

/** Replaces this section in `latest.json`, keeping the others (a single benchmark may run alone). */
export async function recordSection(section: RecordedSection): Promise<void> {
  const previous = await readResults();
  const { run: _, ...kept } = previous ?? { sections: {} };
  await writeResults({
    ...kept,
    machine: machineDescription(),
    sections: { ...previous?.sections, [section.name]: section },
  });
}

/** Records how the whole run went, once `npm run bench` has run every benchmark. */
export async function recordRun(run: RunSummary): Promise<void> {
  const results = await readResults();
  await writeResults({ machine: machineDescription(), sections: {}, ...results, run });
}
