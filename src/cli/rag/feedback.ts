import { Argument, type Command } from 'commander';
import type { CommandContext } from './command-context.js';
import { printJson } from './format.js';
import { printLine } from './cli-io.js';

/** `rag feedback <session> up|down [--comment text] [--json]` */
export function addFeedbackCommand(program: Command, context: CommandContext): void {
  program
    .command('feedback')
    .description("rate the answers of one of your sessions: 'up' (helpful) or 'down'")
    .argument('<session>', 'the session id')
    .addArgument(new Argument('<rating>', 'up or down').choices(['up', 'down']))
    .option('--comment <text>', 'a remark to store with the rating (at most 2,000 characters)')
    .option('--json', 'print the receipt as JSON')
    .action(async (session: string, rating: 'up' | 'down', options: { comment?: string; json?: boolean }) => {
      const client = await context.client();
      const receipt = await client.feedback(session, rating, {
        ...(options.comment !== undefined && { comment: options.comment }),
      });
      if (options.json) printJson(context.io, receipt);
      else
        printLine(
          context.io.stderr,
          `Recorded '${rating}' for session ${receipt.session_id} (${receipt.feedback_id}).`,
        );
    });
}
