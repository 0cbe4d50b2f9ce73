import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { ensureSessionTable } from '../adapters/dynamodb/session-table.js';
import { answerLines } from '../batch/answer-lines.js';
import { loadSecurityConfig } from '../config/security-config.js';
import { ConfigurationError, loadServingConfig } from '../config/serving-config.js';
import { startEmbeddedDynamo } from '../local/embedded-dynamodb.js';
import { localServingServices } from '../local/local-services.js';
import { EnvVar } from '../shared/env.js';
import { progressReporter } from './progress.js';

/**
 * `npm run batch -- <questions.jsonl> <answers.jsonl> [--concurrency 8] [--namespace ns]`
 *
 * Answers a JSON Lines file through the same pipeline as `npm start` (the same RAG_* settings
 * and data directory), one output line per input line. Sessions named in the file live in an
 * in-memory embedded DynamoDB for the run: the server may hold the data directory's own.
 */

interface BatchCommandOptions {
  readonly concurrency: number;
  readonly namespace?: string;
  readonly principal: string;
  readonly dataDir?: string;
}

export const BATCH_PRINCIPAL = 'batch';

/** Runs the command; resolves to the process exit code. */
export async function runBatchCommand(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('batch')
    .description(
      'Answer a JSON Lines file of {"query", "session_id"?} records: one prediction (or error) per line, in order.',
    )
    .argument('<input>', 'JSON Lines file of questions')
    .argument('<output>', 'JSON Lines file to write the answers to (replaced when the run completes)')
    .option('--concurrency <n>', 'lines answered at once', positiveInteger, 8)
    .option('--namespace <ns>', 'index namespace to retrieve from (tenant partition)')
    .option('--principal <name>', 'principal that owns the sessions the file starts', BATCH_PRINCIPAL)
    .option('--data-dir <path>', `local state folder with the index (default: $${EnvVar.dataDir} or .rag)`)
    .showHelpAfterError();
  program.parse([...argv]);
  const [input, output] = program.args as [string, string];
  const options = program.opts<BatchCommandOptions>();

  const abort = new AbortController();
  const onInterrupt = (): void => abort.abort(new Error('Interrupted; the output file was not written.'));
  process.once('SIGINT', onInterrupt);
  const sessions = await startEmbeddedDynamo();
  const progress = progressReporter('batch', 'lines');
  const partial = `${output}.partial`;
  try {
    const environment = {
      ...process.env,
      ...(options.dataDir !== undefined && { [EnvVar.dataDir]: options.dataDir }),
      [EnvVar.dynamodbEndpoint]: sessions.endpoint,
    };
    const config = loadServingConfig(environment);
    await ensureSessionTable(sessions.client, config.sessionTable);
    // The local server's own composition root: the same adapters `npm start` would use.
    const { pipeline } = await localServingServices({
      config,
      security: loadSecurityConfig(environment),
      dynamo: sessions.client,
    });
    const total = await countLines(input);
    const started = performance.now();
    let answered = 0;
    let failed = 0;
    progress.update(0, total);

    const lines = createInterface({ input: createReadStream(input), crlfDelay: Infinity });
    // Opened first, so that a missing folder is reported before any line is answered.
    const out = (await open(partial, 'w')).createWriteStream();
    for await (const line of answerLines(lines, {
      pipeline,
      principal: options.principal,
      ...(options.namespace !== undefined && { namespace: options.namespace }),
      concurrency: options.concurrency,
      lineTimeoutMs: config.requestTimeoutMs,
      onLine: (outcome) => {
        if (outcome.ok) answered++;
        else failed++;
        progress.update(answered + failed, total);
      },
      onInternalError: (lineNumber, error) =>
        console.error(`batch: line ${lineNumber}: ${error instanceof Error ? error.message : String(error)}`),
      abortSignal: abort.signal,
    })) {
      if (!out.write(`${line}\n`)) await new Promise<void>((drained) => out.once('drain', () => drained()));
    }
    out.end();
    await finished(out);
    await rename(partial, output);
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `Answered ${input}: ${answered + failed} lines (${answered} answered, ${failed} failed) ` +
        `in ${seconds.toFixed(2)} s, written to ${output}`,
    );
    return 0;
  } catch (error) {
    progress.stop();
    await rm(partial, { force: true });
    const message = error instanceof Error ? error.message : String(error);
    console.error(
      error instanceof ConfigurationError || isMissingFile(error)
        ? `batch: ${message}`
        : `batch failed: ${message}`,
    );
    return 1;
  } finally {
    process.off('SIGINT', onInterrupt);
    await sessions.close();
  }
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

const isMissingFile = (error: unknown): boolean =>
  (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

/** Lines of the file as readline will yield them (a final newline ends the last line, it adds none). */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (const byte of chunk) if (byte === 0x0a) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1] as number;
  }
  return last === 0x0a ? lines : lines + 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await runBatchCommand(process.argv);
}
