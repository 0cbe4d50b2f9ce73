import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { CorruptIndexFileError } from '../adapters/local/local-index.js';
import {
  IngestDirectoryNotFoundError,
  InvalidSourceNameError,
  ingestFolder,
} from '../ingest/ingest-folder.js';
import type { IngestPhase, IngestProgress, IngestSummary } from '../ingest/ingest-folder.js';
import { EnvVar } from '../shared/env.js';
import { ingestTarget } from './ingest-target.js';

/**
 * `npm run ingest -- <dir> [--source <name>] [--namespace <ns>] [--data-dir <path>]`
 *
 * Indexes a folder into the local index while a server may be running: it never opens
 * the session store (embedded DynamoDB allows one process per data path), and the index
 * is replaced atomically, which the server notices on its next query. With the environment of a
 * deployed stage (`RAG_EMBEDDER=bedrock RAG_INDEX=pinecone ...`, see ingest-target.ts) it embeds
 * with Bedrock and upserts into the stage's Pinecone index instead.
 */

interface IngestCommandOptions {
  readonly source?: string;
  readonly namespace?: string;
  readonly dataDir?: string;
}

/** Runs the command; resolves to the process exit code. */
export async function runIngestCommand(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('ingest')
    .description('Chunk, embed and index a folder of .md, .txt and .html documents into the local index.')
    .argument('<dir>', 'folder to ingest (recursively)')
    .option('--source <name>', 'source name that prefixes chunk ids (default: the folder name)')
    .option('--namespace <ns>', 'index namespace (tenant partition)')
    .option('--data-dir <path>', `local state folder (default: $${EnvVar.dataDir} or .rag)`)
    .showHelpAfterError();
  program.parse([...argv]);
  const dir = program.args[0] as string;
  const options = program.opts<IngestCommandOptions>();

  const source = options.source ?? basename(resolve(dir));
  const dataDir = options.dataDir ?? process.env[EnvVar.dataDir] ?? '.rag';
  const abort = new AbortController();
  const onInterrupt = (): void => abort.abort(new IngestInterruptedError());
  process.once('SIGINT', onInterrupt);
  const progress = progressReporter();
  const started = performance.now();
  try {
    const { embedder, index, run } = await ingestTarget(dataDir, process.env);
    const summary = await run(() =>
      ingestFolder({
        dir,
        source,
        embedder,
        index,
        ...(options.namespace !== undefined && { namespace: options.namespace }),
        onProgress: progress.update,
        abortSignal: abort.signal,
      }),
    );
    progress.stop();
    for (const file of summary.skipped) console.error(`Skipped ${file.path}: ${file.reason}`);
    console.log(summaryLine(dir, source, summary, (performance.now() - started) / 1000));
    return 0;
  } catch (error) {
    progress.stop();
    console.error(failureMessage(error));
    return error instanceof IngestInterruptedError ? 130 : 1;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

class IngestInterruptedError extends Error {
  constructor() {
    super('Interrupted. The chunks indexed so far are saved; run the same command again to finish.');
    this.name = new.target.name;
  }
}

export function summaryLine(dir: string, source: string, summary: IngestSummary, seconds: number): string {
  const rate = seconds > 0 ? Math.round(summary.chunks / seconds) : summary.chunks;
  return (
    `Ingested ${dir} as source '${source}': ${summary.files} files, ${summary.chunks} chunks ` +
    `(${summary.added} added, ${summary.removed} removed, ${summary.unchanged} unchanged) ` +
    `in ${seconds.toFixed(2)} s (${rate} chunks/s)`
  );
}

function failureMessage(error: unknown): string {
  if (
    error instanceof IngestDirectoryNotFoundError ||
    error instanceof InvalidSourceNameError ||
    error instanceof CorruptIndexFileError ||
    error instanceof IngestInterruptedError
  ) {
    return `ingest: ${error.message}`;
  }
  return `ingest failed: ${error instanceof Error ? error.message : String(error)}`;
}

const PHASE_LABEL: Record<IngestPhase, string> = {
  scan: 'scanning',
  chunk: 'chunking',
  embed: 'embedding',
  delete: 'removing',
};
const PLAIN_PROGRESS_INTERVAL_MS = 2000;

/**
 * A progress bar on stderr when a person is watching, otherwise a plain line per phase
 * and at most one every two seconds, so CI logs stay readable.
 */
function progressReporter(): { update: (progress: IngestProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: '{phase} [{bar}] {value}/{total}',
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    let phase: IngestPhase | undefined;
    return {
      update: (progress) => {
        const payload = { phase: PHASE_LABEL[progress.phase].padEnd(9) };
        if (!started) {
          bar.start(progress.total, progress.done, payload);
          started = true;
        } else if (phase !== progress.phase) {
          bar.setTotal(progress.total);
        }
        phase = progress.phase;
        bar.update(progress.done, payload);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let lastPhase: IngestPhase | undefined;
  let lastPrinted = 0;
  return {
    update: (progress) => {
      const now = Date.now();
      if (progress.phase === lastPhase && now - lastPrinted < PLAIN_PROGRESS_INTERVAL_MS) return;
      if (progress.total === 0 && progress.phase !== 'scan') return;
      lastPhase = progress.phase;
      lastPrinted = now;
      console.error(`ingest: ${PHASE_LABEL[progress.phase]} ${progress.done}/${progress.total}`);
    },
    stop: () => undefined,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await runIngestCommand(process.argv);
}
