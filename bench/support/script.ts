import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gitCommit, loadAverage1m, recordSection, renderTable, summaryLine, type Section } from './report.js';

// The embedded adapters print nothing a benchmark needs; Lambda-only noise stays off.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Runs one benchmark as a script: prints its table and findings and records it in latest.json. */
export async function runSection(run: () => Promise<Section>): Promise<void> {
  const started = performance.now();
  try {
    const section = await run();
    const seconds = (performance.now() - started) / 1000;
    await recordSection({
      ...section,
      measuredAt: new Date().toISOString(),
      seconds,
      commit: gitCommit(),
      loadAverage1m: loadAverage1m(),
    });
    console.log(`\n${section.title} (${seconds.toFixed(0)} s)\n`);
    console.log(renderTable([section]));
    for (const line of section.findings ?? []) console.log(`  ${line}`);
    console.log(`\n${summaryLine([section])}`);
    // Embedded servers and SDK sockets may linger; a benchmark script is done once it has reported.
    process.exit(0);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}

/** Progress on stderr, so stdout holds only the report. */
export function progress(message: string): void {
  process.stderr.write(`  … ${message}\n`);
}
