/**
 * `npm start`'s server in a process of its own, so that a load generator in the parent does not
 * share its event loop. Serves over a fresh temporary data directory with the sample corpus
 * ingested (sessions in memory when BENCH_IN_MEMORY_SESSIONS=true), prints one `BENCH_READY {...}` line, and stops (removing the directory) on SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '../../src/local/local-server.js';
import { SAMPLE_CORPUS } from './sample-corpus.js';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface ReadyLine {
  readonly url: string;
  readonly token: string;
  readonly endpointName: string;
}

const dataDir = await mkdtemp(join(tmpdir(), 'rag-bench-server-'));
const server = await startLocalServer({
  dataDir,
  port: 0,
  sampleCorpusDir: SAMPLE_CORPUS,
  // Sessions in memory instead of LevelDB under the data directory: shows what the store costs.
  inMemorySessions: process.env.BENCH_IN_MEMORY_SESSIONS === 'true',
});
const ready: ReadyLine = { url: server.url, token: server.token.token, endpointName: server.endpointName };
process.stdout.write(`BENCH_READY ${JSON.stringify(ready)}\n`);

const stop = async () => {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
