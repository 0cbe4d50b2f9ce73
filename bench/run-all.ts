/**
 * `npm run bench`: every benchmark, each in a process of its own (so one's heap, JIT state and
 * embedded servers cannot disturb the next), then one table of all figures from latest.json.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  readResults,
  recordRun,
  renderTable,
  RESULTS_FILE,
  summaryLine,
  type Section,
} from './support/report.js';

/** In the order of the issue; the name is also the npm script `bench:<name>`. */
export const BENCHMARKS = [
  'cold-start',
  'handler-overhead',
  'batch-scaling',
  'streaming',
  'retrieval',
  'answer-quality',
  'throughput',
] as const;

function runScript(name: string): Promise<number | null> {
  const script = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', resolve);
  });
}

const started = performance.now();
const startedAt = new Date().toISOString();
await rm(RESULTS_FILE, { force: true });
const failed: string[] = [];
for (const name of BENCHMARKS) {
  console.log(`\n=== ${name}`);
  if ((await runScript(name)) !== 0) failed.push(name);
}

const minutes = (performance.now() - started) / 60_000;
await recordRun({ startedAt, minutes: Number(minutes.toFixed(1)), failed });
const results = await readResults();
// Every section the run recorded, in the order it ran (benchmarks added elsewhere included).
const sections: Section[] = Object.values(results?.sections ?? {});
const load = (loadavg()[0] ?? 0).toFixed(1);
console.log(
  `\n=== All benchmarks (${minutes.toFixed(1)} min, node ${process.version}, load average ${load} on ${availableParallelism()} cores; ratios are measured within one run)\n`,
);
console.log(renderTable(sections));
console.log(`\n${summaryLine(sections)}`);
console.log(`Written to ${RESULTS_FILE}; \`npm run bench:readme\` puts the table into the README.`);
if (failed.length > 0) {
  console.error(`Failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
