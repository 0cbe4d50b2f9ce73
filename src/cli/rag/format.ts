import type { Prediction, SessionList, SessionPage } from '../../client/index.js';
import { printLine, type CliIo } from './cli-io.js';

/** `--json`: one JSON document on stdout, nothing else. */
export function printJson(io: CliIo, value: unknown): void {
  printLine(io.stdout, JSON.stringify(value, null, 2));
}

/** The numbered sources an answer cites: `[n]` in the text is the n-th line. */
export function printSources(io: CliIo, prediction: Pick<Prediction, 'sources'>): void {
  if (prediction.sources.length === 0) return;
  printLine(io.stdout);
  printLine(io.stdout, 'Sources:');
  prediction.sources.forEach((source, i) =>
    printLine(io.stdout, `  [${i + 1}] ${source.source} (score ${source.score.toFixed(2)})`),
  );
}

export function printGuardrailNote(io: CliIo, prediction: Pick<Prediction, 'guardrail'>): void {
  if (prediction.guardrail.action === 'INTERVENED')
    printLine(io.stderr, '(the guardrail intervened in this answer)');
}

export function printPrediction(io: CliIo, prediction: Prediction): void {
  printLine(io.stdout, prediction.response);
  printSources(io, prediction);
  printGuardrailNote(io, prediction);
  printLine(io.stderr, `session ${prediction.session_id}`);
}

export function printSessionTable(io: CliIo, sessions: SessionList['sessions']): void {
  if (sessions.length === 0) {
    printLine(io.stderr, 'No sessions.');
    return;
  }
  const rows = [
    ['SESSION ID', 'CREATED', 'EXPIRES'],
    ...sessions.map((s) => [s.session_id, s.created_at, s.expires_at]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows)
    printLine(
      io.stdout,
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

export function printTurns(io: CliIo, turns: SessionPage['turns']): void {
  turns.forEach((turn, i) => {
    if (i > 0) printLine(io.stdout);
    printLine(io.stdout, `[${turn.created_at}]`);
    printLine(io.stdout, `Q: ${turn.query}`);
    printLine(io.stdout, `A: ${turn.response}`);
  });
}
