import { Command } from 'commander';
import { CLIENT_VERSION } from '../../client/index.js';
import { addAskCommand, integerIn } from './ask.js';
import { addChatCommand } from './chat.js';
import type { CliIo } from './cli-io.js';
import { printLine } from './cli-io.js';
import { clientFromEnvironment, type ConnectionOptions } from './client-from-env.js';
import { describeFailure, ExitCode, exitCodeOf } from './exit-codes.js';
import { addFeedbackCommand } from './feedback.js';
import { addSessionsCommand } from './sessions.js';
import { addSqlCommand } from './sql.js';

const HELP_FOOTER = `
Server and token: --url, else RAG_URL and RAG_TOKEN, else DATABRICKS_HOST and DATABRICKS_TOKEN
(endpoint: --endpoint, else RAG_ENDPOINT_NAME, else rag). With none of them set, the local server
is used: http://127.0.0.1:$PORT (8080) and the token in $RAG_DATA_DIR/token (.rag/token).

Exit codes: 0 success, 2 usage error, 3 authentication or permission error (401, 403),
4 other request error (4xx), 5 server or network error (5xx, timeout, unreachable).`;

/** Commands of their own, with their own options and exit codes, run under the same roof. */
const MOUNTED = {
  tokens: {
    description: 'create, list and revoke bearer tokens (see rag tokens --help)',
    run: async (args: readonly string[], io: CliIo) => {
      const { runTokensCommand } = await import('../tokens.js');
      return runTokensCommand(['node', 'rag-tokens', ...args], {
        out: (line) => printLine(io.stdout, line),
        err: (line) => printLine(io.stderr, line),
        env: io.env,
      });
    },
  },
  ingest: {
    description: 'index a folder of documents into the local index (see rag ingest --help)',
    run: async (args: readonly string[]) => {
      const { runIngestCommand } = await import('../ingest.js');
      return runIngestCommand(['node', 'rag-ingest', ...args]);
    },
  },
} as const;

const isMounted = (name: string | undefined): name is keyof typeof MOUNTED =>
  name !== undefined && Object.hasOwn(MOUNTED, name);

/**
 * `rag <command>`: the command line for people, built on the typed client. Resolves to the exit
 * code; never calls process.exit, so tests can run it in-process.
 */
export async function runRag(args: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = args;
  if (isMounted(first)) return MOUNTED[first].run(rest, io);

  let exitCode: ExitCode = ExitCode.success;
  const program = new Command()
    .name('rag')
    .description('Ask a rag-serving endpoint from the command line, and manage its sessions and tokens.')
    .version(CLIENT_VERSION)
    .option('--url <url>', 'the server (default: RAG_URL, DATABRICKS_HOST, or the local server)')
    .option('--endpoint <name>', 'the serving endpoint (default: RAG_ENDPOINT_NAME or rag)')
    .option('--timeout <seconds>', 'time allowed for one request', integerIn(1, 3600))
    .option('--retries <n>', 'retries of a 429 or 503 after its Retry-After (default 2)', integerIn(0, 10))
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError()
    .addHelpText('after', HELP_FOOTER);

  const context = {
    io,
    client: () => clientFromEnvironment(program.opts<ConnectionOptions>(), io),
    exitWith: (code: ExitCode) => {
      exitCode = code;
    },
  };
  addAskCommand(program, context);
  addChatCommand(program, context);
  addSessionsCommand(program, context);
  addFeedbackCommand(program, context);
  addSqlCommand(program, context);
  for (const [name, { description }] of Object.entries(MOUNTED)) {
    // Listed for --help; the arguments never reach commander (see the top of this function).
    program.command(name).description(description).helpOption(false).allowUnknownOption();
  }

  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (error) {
    const code = exitCodeOf(error);
    // Commander has already printed its own usage errors and help.
    if (code !== ExitCode.success && !isCommanderError(error))
      printLine(io.stderr, `rag: ${describeFailure(error)}`);
    return code;
  }
}

const isCommanderError = (error: unknown): boolean =>
  error instanceof Error && 'code' in error && String(error.code).startsWith('commander.');
