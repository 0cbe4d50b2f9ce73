import { InvalidArgumentError, type Command } from 'commander';
import type { CommandContext } from './command-context.js';
import { printJson, printPrediction } from './format.js';

export function integerIn(min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max)
      throw new InvalidArgumentError(`use a whole number from ${min} to ${max}`);
    return parsed;
  };
}

/** `rag ask "question" [--session id] [--top-k n] [--json]` */
export function addAskCommand(program: Command, context: CommandContext): void {
  program
    .command('ask')
    .description('ask one question and print the answer with its sources')
    .argument('<question>', 'the question (quote it)')
    .option('--session <id>', 'continue this session (default: start a new one)')
    .option('--top-k <n>', 'passages to retrieve, 1-50', integerIn(1, 50))
    .option('--json', 'print the prediction as JSON')
    .action(async (question: string, options: { session?: string; topK?: number; json?: boolean }) => {
      const client = await context.client();
      const prediction = await client.ask(question, {
        ...(options.session !== undefined && { sessionId: options.session }),
        ...(options.topK !== undefined && { topK: options.topK }),
      });
      if (options.json) printJson(context.io, prediction);
      else printPrediction(context.io, prediction);
    });
}
