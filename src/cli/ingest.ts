import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { openLocalRetrieval } from '../adapters/local/open-local-retrieval.js';
import { CorruptIndexFileError } from '../adapters/local/local-index.js';
import { DocumentSourceError, type DocumentSource } from '../ingest/documents/document-source.js';
import { FolderSource } from '../ingest/documents/folder-source.js';
import { IndexMismatchError } from '../ingest/index-compatibility.js';
import type { IngestReport } from '../ingest/ingest-report.js';
import { InvalidSourceNameError, reconcile, type IngestionOptions } from '../ingest/ingestion.js';
import { CorruptManifestError, FileManifest, ManifestLockedError } from '../ingest/manifest/file-manifest.js';
import { localManifestPath } from '../ingest/manifest/local-manifest-path.js';
import { EnvVar } from '../shared/env.js';
import { progressReporter } from './progress.js';

/**
 * `npm run ingest -- <dir> [--source <name>] [--namespace <ns>] [--data-dir <path>] [--force]`
 *
 * Brings the local index in line with a folder while a server may be running: it never opens
 * the session store (embedded DynamoDB allows one process per data path), and each checkpoint
 * replaces the index file atomically, which the server notices on its next query.
 */

interface IngestCommandOptions {
  readonly source?: string;
  readonly namespace?: string;
  readonly dataDir?: string;
  readonly force?: boolean;
}

/** Runs the command; resolves to the process exit code. */
export async function runIngestCommand(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('ingest')
    .description(
      'Bring an index in line with a folder of .md, .txt, .html and .pdf documents: new and changed ' +
        'documents are indexed, removed ones deleted, unchanged ones cost nothing.',
    )
    .argument('<dir>', 'folder to ingest (recursively)')
    .option('--source <name>', 'source name that prefixes chunk ids (default: the folder name)')
    .option('--namespace <ns>', 'index namespace (tenant partition)')
    .option('--data-dir <path>', `local state folder (default: $${EnvVar.dataDir} or .rag)`)
    .option('--force', 'embed every document again, changed or not')
    .showHelpAfterError();
  program.parse([...argv]);
  const location = program.args[0] as string;
  const options = program.opts<IngestCommandOptions>();

  const source = new FolderSource(location);
  const sourceName = options.source ?? basename(resolve(location));
  const dataDir = options.dataDir ?? process.env[EnvVar.dataDir] ?? '.rag';
  const abort = new AbortController();
  const onInterrupt = (): void => abort.abort(new IngestInterruptedError());
  process.once('SIGINT', onInterrupt);
  const progress = progressReporter('ingest', 'documents');
  try {
    const total = await source.count(abort.signal);
    progress.update(0, total);
    const { embedder, index } = await openLocalRetrieval(dataDir);
    const report = await reconcile({
      source,
      sourceName,
      embedder,
      index,
      ...(options.namespace !== undefined && { namespace: options.namespace }),
      manifest: await FileManifest.open(localManifestPath(dataDir, sourceName, options.namespace)),
      // One rewrite of the index file per checkpoint instead of one per batch.
      writeBatch: (work) => index.batch(work),
      ...(options.force && { force: true }),
      onProgress: ({ documents }) => progress.update(documents, total),
      log: (message) => console.error(`ingest: ${message}`),
      abortSignal: abort.signal,
    } satisfies IngestionOptions & { force?: boolean });
    progress.stop();
    printProblems(report);
    console.log(summaryLine(source, sourceName, report));
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
    super('Interrupted. The documents indexed so far are kept; run the same command again to finish.');
    this.name = new.target.name;
  }
}

function printProblems(report: IngestReport): void {
  for (const { path, reason } of report.failures) console.error(`Failed ${path}: ${reason}`);
  for (const { path, reason } of report.skippedDocuments) console.error(`Skipped ${path}: ${reason}`);
  const unlisted = report.failed + report.skipped - report.failures.length - report.skippedDocuments.length;
  if (unlisted > 0) console.error(`... and ${unlisted} more failed or skipped documents`);
}

export function summaryLine(source: DocumentSource, sourceName: string, report: IngestReport): string {
  const rate = report.seconds > 0 ? Math.round(report.seen / report.seconds) : report.seen;
  return (
    `Ingested ${source.description} as source '${sourceName}': ${report.seen} documents ` +
    `(${report.added} added, ${report.updated} updated, ${report.deleted} deleted, ` +
    `${report.unchanged} unchanged, ${report.failed} failed, ${report.skipped} skipped), ` +
    `${report.chunksWritten} chunks written, ${report.chunksDeleted} removed, ` +
    `${report.embeddingTokens} embedding tokens in ${report.seconds.toFixed(2)} s (${rate} documents/s)`
  );
}

function failureMessage(error: unknown): string {
  if (
    error instanceof DocumentSourceError ||
    error instanceof InvalidSourceNameError ||
    error instanceof CorruptIndexFileError ||
    error instanceof CorruptManifestError ||
    error instanceof ManifestLockedError ||
    error instanceof IndexMismatchError ||
    error instanceof IngestInterruptedError
  ) {
    return `ingest: ${error.message}`;
  }
  return `ingest failed: ${error instanceof Error ? error.message : String(error)}`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await runIngestCommand(process.argv);
}
