import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { CorruptIndexFileError } from '../adapters/local/local-index.js';
import { ManifestTableError } from '../adapters/dynamodb/document-manifest.js';
import { PineconeIndexNotFoundError } from '../adapters/pinecone/index-describer.js';
import { InvalidS3LocationError } from '../adapters/s3/s3-document-source.js';
import { DocumentSourceError, type DocumentSource } from '../ingest/documents/document-source.js';
import { FolderSource } from '../ingest/documents/folder-source.js';
import { IndexMismatchError } from '../ingest/index-compatibility.js';
import type { IngestReport } from '../ingest/ingest-report.js';
import { InvalidSourceNameError, reconcile } from '../ingest/ingestion.js';
import { CorruptManifestError, ManifestLockedError } from '../ingest/manifest/file-manifest.js';
import { EnvVar } from '../shared/env.js';
import {
  documentSource,
  localTarget,
  stageDocumentsLocation,
  stageTarget,
  type CliTarget,
} from './ingest-targets.js';
import { progressReporter } from './progress.js';
import { consoleLink, startRemoteRun } from './remote-run.js';
import { StageNotFoundError, stageJobResources, type StageJobResources } from './stage-outputs.js';

/**
 * `npm run ingest -- <dir | s3://bucket/prefix/> [--source <name>] [--namespace <ns>] [--force]`
 * `npm run ingest -- [<dir | s3://...>] --stage <stage>` (into the stage's Pinecone index)
 * `npm run ingest -- --stage <stage> --remote [--wait]` (start the stage's ingestion job in AWS)
 *
 * Locally it never opens the session store (embedded DynamoDB allows one process per data path),
 * and each checkpoint replaces the index file atomically, which a running server notices on its
 * next query.
 */

interface IngestCommandOptions {
  readonly source?: string;
  readonly namespace?: string;
  readonly dataDir?: string;
  readonly force?: boolean;
  readonly stage?: string;
  readonly region?: string;
  readonly remote?: boolean;
  readonly wait?: boolean;
}

/** Runs the command; resolves to the process exit code. */
export async function runIngestCommand(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('ingest')
    .description(
      'Bring an index in line with a folder or S3 prefix of .md, .txt, .html and .pdf documents: new ' +
        'and changed documents are indexed, removed ones deleted, unchanged ones cost nothing.',
    )
    .argument(
      '[location]',
      "folder or s3://bucket/prefix/ to ingest (with --stage: default the stage's documents bucket)",
    )
    .option('--source <name>', 'source name that prefixes chunk ids (default: the folder or prefix name)')
    .option(
      '--namespace <ns>',
      "index namespace (tenant partition); with --stage default the stage's namespace",
    )
    .option('--data-dir <path>', `local state folder (default: $${EnvVar.dataDir} or .rag)`)
    .option('--force', 'embed every document again, changed or not')
    .option(
      '--stage <stage>',
      "ingest into a deployed stage's Pinecone index with Bedrock embeddings (your AWS credentials)",
    )
    .option('--region <region>', 'AWS region of the stage (default: your AWS configuration)')
    .option('--remote', 'with --stage: start the stage ingestion job in AWS instead of ingesting from here')
    .option('--wait', 'with --remote: wait for the run to end and print its report')
    .showHelpAfterError();
  program.parse([...argv]);
  const options = program.opts<IngestCommandOptions>();
  const location = program.args[0];
  if ((options.remote || options.wait) && options.stage === undefined)
    return usage('--remote and --wait need --stage <stage>.');
  if (options.remote && location !== undefined)
    return usage(
      "--remote runs the stage's job on its own documents bucket; drop the location, or drop --remote.",
    );
  if (location === undefined && options.stage === undefined)
    return usage('Name a folder (or s3://bucket/prefix/) to ingest.');

  const abort = new AbortController();
  const onInterrupt = (): void => abort.abort(new IngestInterruptedError());
  process.once('SIGINT', onInterrupt);
  const opened: { close(): void }[] = [];
  const progress = progressReporter('ingest', 'documents');
  try {
    const resources =
      options.stage === undefined
        ? undefined
        : await stageJobResources(options.stage, { ...(options.region && { region: options.region }) });
    if (resources && options.remote) return await remote(resources, options.wait ?? false);

    const where = location ?? stageDocumentsLocation(resources as StageJobResources);
    const { source, close } = documentSource(where, resources?.region ?? options.region);
    opened.push({ close });
    const sourceName =
      options.source ??
      (location === undefined ? (resources as StageJobResources).sourceName : defaultSourceName(where));
    const cli: CliTarget = resources
      ? stageTarget(resources, sourceName, options.namespace)
      : await localTarget(
          options.dataDir ?? process.env[EnvVar.dataDir] ?? '.rag',
          sourceName,
          options.namespace,
        );
    opened.push(cli);

    const total = source instanceof FolderSource ? await source.count(abort.signal) : undefined;
    progress.update(0, total);
    const report = await reconcile({
      ...cli.target,
      source,
      sourceName,
      manifest: cli.manifest,
      ...(options.force && { force: true }),
      onProgress: ({ documents }) => progress.update(documents, total),
      log: (message) => console.error(`ingest: ${message}`),
      abortSignal: abort.signal,
    });
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
    for (const resource of opened) resource.close();
  }
}

function usage(message: string): number {
  console.error(`ingest: ${message} See --help.`);
  return 2;
}

/** `./docs/handbook` → `handbook`; `s3://bucket/handbook/` → `handbook`; `s3://bucket` → `bucket`. */
function defaultSourceName(location: string): string {
  if (!location.startsWith('s3://')) return basename(resolve(location));
  const parts = location.slice('s3://'.length).split('/').filter(Boolean);
  return parts.at(-1) ?? 'documents';
}

async function remote(resources: StageJobResources, wait: boolean): Promise<number> {
  const run = await startRemoteRun({
    stateMachineArn: resources.ingestionStateMachineArn,
    region: resources.region,
    wait,
  });
  console.error(
    `Started the ingestion job of stage ${resources.stage}: ${consoleLink(run.executionArn, resources.region)}`,
  );
  console.log(run.executionArn);
  if (!wait) return 0;
  if (run.status === 'SUCCEEDED') {
    console.log(JSON.stringify(run.output));
    return 0;
  }
  console.error(`ingest: the run ended ${run.status}${run.error ? `: ${run.error}` : ''}`);
  return 1;
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

const EXPLAINED_ERRORS = [
  DocumentSourceError,
  InvalidSourceNameError,
  InvalidS3LocationError,
  CorruptIndexFileError,
  CorruptManifestError,
  ManifestLockedError,
  ManifestTableError,
  IndexMismatchError,
  PineconeIndexNotFoundError,
  StageNotFoundError,
  IngestInterruptedError,
];

function failureMessage(error: unknown): string {
  if (EXPLAINED_ERRORS.some((type) => error instanceof type)) return `ingest: ${(error as Error).message}`;
  return `ingest failed: ${error instanceof Error ? error.message : String(error)}`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await runIngestCommand(process.argv);
}
