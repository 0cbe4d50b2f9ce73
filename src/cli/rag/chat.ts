import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { RagClient } from '../../client/index.js';
import type { CommandContext } from './command-context.js';
import { printLine, type CliIo } from './cli-io.js';
import { describeFailure, ExitCode, exitCodeOf } from './exit-codes.js';
import { printGuardrailNote, printSources } from './format.js';

const HELP = 'Ask away. /new starts a new session, /exit (or end of input) quits.';

/** Streams one answer to stdout; returns the session it was stored in. */
async function answer(client: RagClient, io: CliIo, question: string, sessionId: string | undefined) {
  for await (const event of client.stream(question, { ...(sessionId !== undefined && { sessionId }) })) {
    if (event.type === 'text') {
      io.stdout.write(event.text);
      continue;
    }
    printLine(io.stdout);
    printSources(io, event.prediction);
    printGuardrailNote(io, event.prediction);
    return event.prediction.session_id;
  }
  return sessionId;
}

/**
 * `rag chat [--session id]`: one line is one question, answered as it streams in, all in one
 * session. Works at a terminal and with piped input. A failed turn is reported and the chat goes
 * on, unless it is one no later turn can escape (authentication, the server unreachable).
 */
export function addChatCommand(program: Command, context: CommandContext): void {
  program
    .command('chat')
    .description('an interactive conversation, streamed, in one session (/new, /exit)')
    .option('--session <id>', 'continue this session (default: start a new one)')
    .action(async (options: { session?: string }) => {
      const { io } = context;
      const client = await context.client();
      const interactive = io.stdin.isTTY === true;
      const lines = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
      const prompt = () => {
        if (interactive) io.stdout.write('> ');
      };
      let sessionId = options.session;
      if (interactive) printLine(io.stderr, HELP);
      prompt();
      try {
        for await (const raw of lines) {
          const line = raw.trim();
          if (line === '/exit') break;
          if (line === '/new') {
            sessionId = undefined;
            printLine(io.stderr, 'Started a new session.');
          } else if (line !== '') {
            try {
              const before = sessionId;
              sessionId = await answer(client, io, line, sessionId);
              if (sessionId !== before) printLine(io.stderr, `session ${sessionId}`);
            } catch (error) {
              printLine(io.stderr, `rag: ${describeFailure(error)}`);
              const code = exitCodeOf(error);
              context.exitWith(code);
              if (code !== ExitCode.request) return;
            }
          }
          prompt();
        }
      } finally {
        lines.close();
      }
    });
}
