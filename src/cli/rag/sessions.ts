import type { Command } from 'commander';
import type { RagClient, SessionSummary, SessionTurn } from '../../client/index.js';
import type { CommandContext } from './command-context.js';
import { printJson, printSessionTable, printTurns } from './format.js';
import { printLine } from './cli-io.js';

/** Pages the server allows at most; the CLI follows `next_page_token` to the end. */
const PAGE_SIZE = 100;

async function allSessions(client: RagClient): Promise<SessionSummary[]> {
  const sessions: SessionSummary[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.sessions.list({
      pageSize: PAGE_SIZE,
      ...(pageToken !== undefined && { pageToken }),
    });
    sessions.push(...page.sessions);
    pageToken = page.next_page_token;
  } while (pageToken !== undefined);
  return sessions;
}

async function allTurns(client: RagClient, sessionId: string): Promise<SessionTurn[]> {
  const turns: SessionTurn[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.sessions.get(sessionId, {
      pageSize: PAGE_SIZE,
      ...(pageToken !== undefined && { pageToken }),
    });
    turns.push(...page.turns);
    pageToken = page.next_page_token;
  } while (pageToken !== undefined);
  return turns;
}

/** `rag sessions list|show <id>|delete <id>` */
export function addSessionsCommand(program: Command, context: CommandContext): void {
  const sessions = program.command('sessions').description('your conversations: list, show or delete them');
  const { io } = context;

  sessions
    .command('list')
    .description('your live sessions, newest first')
    .option('--json', 'print them as JSON')
    .action(async (options: { json?: boolean }) => {
      const listed = await allSessions(await context.client());
      if (options.json) printJson(io, listed);
      else printSessionTable(io, listed);
    });

  sessions
    .command('show')
    .description('every turn of a session, oldest first')
    .argument('<id>', 'the session id')
    .option('--json', 'print the turns as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const turns = await allTurns(await context.client(), id);
      if (options.json) printJson(io, { session_id: id, turns });
      else printTurns(io, turns);
    });

  sessions
    .command('delete')
    .description('erase a session: every turn and its feedback')
    .argument('<id>', 'the session id')
    .action(async (id: string) => {
      await (await context.client()).sessions.delete(id);
      printLine(io.stderr, `Deleted session ${id}.`);
    });
}
