import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { RagError } from '../../client/index.js';
import { answerWithClient } from '../../sql/answer-with-client.js';
import type { StatementResult } from '../../sql/duckdb-ask-rag.js';
import type { CommandContext } from './command-context.js';
import { printLine, type CliIo } from './cli-io.js';
import { printJson } from './format.js';
import { UsageError } from './exit-codes.js';

const cell = (value: unknown): string =>
  value === null || value === undefined ? 'NULL' : typeof value === 'string' ? value : JSON.stringify(value);

/** One block per row, `column | value` per line: answers are too long for a table's cells. */
function printRecords(io: CliIo, result: StatementResult): void {
  if (result.rows.length === 0) {
    printLine(io.stderr, '(no rows)');
    return;
  }
  const width = Math.max(...result.columns.map((column) => column.length));
  result.rows.forEach((row, i) => {
    printLine(io.stdout, `-[ RECORD ${i + 1} ]${'-'.repeat(Math.max(4, width - 8))}`);
    for (const column of result.columns)
      printLine(io.stdout, `${column.padEnd(width)} | ${cell(row[column])}`);
  });
}

async function readStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `rag sql "<statements>" [--json]` (`npm run sql -- "..."`): DuckDB in memory, with
 * `ask_rag(query, session_id)` answered by the server, as the Redshift UDF answers it.
 */
export function addSqlCommand(program: Command, context: CommandContext): void {
  program
    .command('sql')
    .description('run SQL in a local DuckDB where ask_rag(query, session_id) asks the server')
    .argument('[statements]', "one or more SQL statements; '-' or none reads them from stdin")
    .option('--file <path>', 'read the statements from a file')
    .option('--json', 'print the rows of the last statement as JSON')
    .action(async (statements: string | undefined, options: { file?: string; json?: boolean }) => {
      const { io } = context;
      const sql =
        options.file !== undefined
          ? await readFile(options.file, 'utf8')
          : statements === undefined || statements === '-'
            ? await readStdin(io)
            : statements;
      const client = await context.client();
      const { DuckDbAskRag } = await import('../../sql/duckdb-ask-rag.js');
      const engine = await DuckDbAskRag.open(answerWithClient(client));
      try {
        const last = (
          await engine.run(sql).catch((error: unknown) => {
            // The server's failures keep their own exit codes; the rest is the SQL's (syntax, types, ...).
            if (error instanceof RagError) throw error;
            throw new UsageError(`SQL: ${error instanceof Error ? error.message : String(error)}`, {
              cause: error,
            });
          })
        ).at(-1);
        if (last === undefined) return;
        if (options.json) printJson(io, last.rows);
        else printRecords(io, last);
      } finally {
        engine.close();
      }
    });
}
