/**
 * `npm run bench:readme`: writes the README's Performance table from `bench/results/latest.json`,
 * with the commit, machine and load average that produced it, between the two marker comments.
 * Every section of the file becomes rows, whichever benchmark wrote it, so nothing is copied by hand.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readResults, renderTable, RESULTS_FILE, summaryLine, type ResultsFile } from './support/report.js';
import { isMain } from './support/script.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
export const TABLE_START =
  '<!-- performance-table: written by `npm run bench:readme` from bench/results/latest.json -->';
export const TABLE_END = '<!-- /performance-table -->';

const distinct = (values: readonly (string | number | undefined)[]) => [
  ...new Set(values.filter((value) => value !== undefined).map(String)),
];

/** Where the figures come from: commit(s), machine, load, and whether it was one whole run. */
function provenance(results: ResultsFile): string {
  const sections = Object.values(results.sections);
  const { machine, run } = results;
  const commits = distinct(sections.map((section) => section.commit ?? machine.commit));
  const loads = sections.map((section) => section.loadAverage1m ?? Number(machine.loadAverage1m));
  const load =
    loads.length === 0
      ? 'n/a'
      : `${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} over the benchmarks`;
  const when = run
    ? `one \`npm run bench\` of ${run.minutes} minutes started ${run.startedAt.slice(0, 16).replace('T', ' ')} UTC` +
      (run.failed.length > 0 ? `; failed: ${run.failed.join(', ')}` : '')
    : `benchmarks run one by one, the last at ${sections.at(-1)?.measuredAt.slice(0, 16).replace('T', ' ') ?? 'n/a'} UTC`;
  return (
    `Latest run: commit ${commits.join(', ')} (\`+\`: with uncommitted changes), node ${machine.node}, ` +
    `${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, load average ${load}; ${when}.`
  );
}

export function performanceBlock(results: ResultsFile): string {
  const sections = Object.values(results.sections);
  return [
    TABLE_START,
    provenance(results),
    '',
    renderTable(sections),
    '',
    `${summaryLine(sections)}.`,
    TABLE_END,
  ].join('\n');
}

/** The README with its table block replaced; fails if the markers are missing, never guesses. */
export function withPerformanceBlock(readme: string, block: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no ${TABLE_START} ... ${TABLE_END} block to replace.`);
  }
  return readme.slice(0, start) + block + readme.slice(end + TABLE_END.length);
}

if (isMain(import.meta.url)) {
  const results = await readResults();
  if (!results || Object.keys(results.sections).length === 0) {
    console.error(`No results in ${RESULTS_FILE}: run \`npm run bench\` first.`);
    process.exit(1);
  }
  const readme = await readFile(README, 'utf8');
  await writeFile(README, withPerformanceBlock(readme, performanceBlock(results)));
  console.log(`README.md: ${summaryLine(Object.values(results.sections))} (from ${RESULTS_FILE})`);
}
