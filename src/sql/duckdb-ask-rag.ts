import type { DuckDBConnection } from '@duckdb/node-api';
import { callKey, type AnswerCalls, type AskRagCall } from './ask-rag-calls.js';

/**
 * A statement is run again as long as it calls ask_rag with arguments not answered yet; past this
 * many runs (an argument that changes on every run, such as one built from random()) it fails.
 */
export const MAX_RUNS = 5;

export class UnsettledStatementError extends Error {
  constructor(statement: number) {
    super(
      `Statement ${statement} still asked new questions after ${MAX_RUNS} runs; ask_rag's arguments must not ` +
        'change between runs of one statement (e.g. no random() in them).',
    );
    this.name = new.target.name;
  }
}

/** What a statement returned: its columns and rows, values as JSON-friendly JS values. */
export interface StatementResult {
  /** 1 for the first statement. */
  readonly statement: number;
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
}

/**
 * `ask_rag(query VARCHAR, session_id VARCHAR) -> VARCHAR` in DuckDB, backed by an asynchronous
 * HTTP client. DuckDB calls scalar functions synchronously, and a synchronous function cannot
 * wait for a network answer without blocking the thread that would receive it. So each statement
 * runs in rounds: a round runs it inside a transaction in which ask_rag answers what it already
 * knows and NULL for the rest (remembering those arguments), then the transaction is rolled back,
 * the new questions are asked (asynchronously, in parallel), and the statement runs again, until a
 * round meets no new arguments: that round is committed and its result returned.
 */
export class DuckDbAskRag {
  readonly #known = new Map<string, string | null>();
  #pending = new Map<string, AskRagCall>();

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly answer: AnswerCalls,
  ) {}

  /** An in-memory DuckDB with ask_rag registered. */
  static async open(answer: AnswerCalls): Promise<DuckDbAskRag> {
    const { DuckDBInstance, DuckDBScalarFunction, VARCHAR } = await import('@duckdb/node-api');
    const connection = await (await DuckDBInstance.create(':memory:')).connect();
    const engine = new DuckDbAskRag(connection, answer);
    connection.registerScalarFunction(
      DuckDBScalarFunction.create({
        name: 'ask_rag',
        returnType: VARCHAR,
        parameterTypes: [VARCHAR, VARCHAR],
        // NULL arguments reach the function (a NULL session id is allowed); it decides itself.
        specialHandling: true,
        volatile: true,
        mainFunction: (_info, input, output) => {
          const queries = input.getColumnVector(0);
          const sessions = input.getColumnVector(1);
          for (let row = 0; row < input.rowCount; row++) {
            output.setItem(row, engine.#lookUp(queries.getItem(row), sessions.getItem(row)));
          }
          output.flush();
        },
      }),
    );
    return engine;
  }

  #lookUp(query: unknown, sessionId: unknown): string | null {
    if (query === null || query === undefined) return null;
    const call: AskRagCall = {
      query: String(query),
      ...(sessionId !== null && sessionId !== undefined && { sessionId: String(sessionId) }),
    };
    const key = callKey(call);
    if (this.#known.has(key)) return this.#known.get(key) ?? null;
    this.#pending.set(key, call);
    return null;
  }

  /** Runs every statement of `sql` in order; returns the result of each. */
  async run(sql: string): Promise<StatementResult[]> {
    const statements = await this.connection.extractStatements(sql);
    const results: StatementResult[] = [];
    for (let i = 0; i < statements.count; i++) {
      const prepared = await statements.prepare(i);
      results.push(await this.#settle(i + 1, () => prepared.runAndReadAll()));
    }
    return results;
  }

  async #settle(
    statement: number,
    execute: () => Promise<{ columnNames(): string[]; getRowObjectsJson(): Record<string, unknown>[] }>,
  ): Promise<StatementResult> {
    for (let round = 1; round <= MAX_RUNS; round++) {
      this.#pending = new Map();
      await this.connection.run('BEGIN TRANSACTION');
      let reader;
      try {
        reader = await execute();
      } catch (error) {
        await this.connection.run('ROLLBACK');
        throw error;
      }
      if (this.#pending.size === 0) {
        await this.connection.run('COMMIT');
        return { statement, columns: reader.columnNames(), rows: reader.getRowObjectsJson() };
      }
      // Nothing of a round with unanswered calls may last: its effects ran on NULL placeholders.
      await this.connection.run('ROLLBACK');
      const answers = await this.answer([...this.#pending.values()]);
      for (const key of this.#pending.keys()) this.#known.set(key, answers.get(key) ?? null);
    }
    throw new UnsettledStatementError(statement);
  }

  close(): void {
    this.connection.closeSync();
  }
}
