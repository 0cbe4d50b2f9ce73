import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RagClient } from '../../src/client/index.js';
import type { CliIo } from '../../src/cli/rag/cli-io.js';
import { runRag } from '../../src/cli/rag/main.js';
import { startTestServer, TEST_TOKEN, type TestServer } from '../support/local-server.js';

let server: TestServer;
let workDir: string;
let client: RagClient;

beforeAll(async () => {
  server = await startTestServer();
  workDir = await mkdtemp(join(tmpdir(), 'rag-sql-'));
  client = new RagClient({ baseUrl: server.url, token: TEST_TOKEN, env: {} });
});
afterAll(async () => {
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** `rag sql ...` (what `npm run sql -- ...` runs) in this process, against the test server. */
async function sql(args: readonly string[], token = TEST_TOKEN) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from([]),
    env: { RAG_URL: server.url, RAG_TOKEN: token },
    cwd: workDir,
  };
  const code = await runRag(['sql', ...args], io);
  return { code, stdout, stderr };
}

const QUESTIONS = `(VALUES (1, 'How do I run rag-serving locally?'), (2, 'What is a guardrail?'), (3, NULL)) AS q(id, question)`;

describe('rag sql: ask_rag in a local DuckDB', () => {
  it('answers a table of questions, one prediction JSON per row, NULL for a NULL question', async () => {
    // Act
    const run = await sql([
      `SELECT q.id, ask_rag(q.question, NULL)->>'response' AS answer, ask_rag(q.question, NULL) AS prediction FROM ${QUESTIONS} ORDER BY q.id`,
      '--json',
    ]);

    // Assess
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as { id: number; answer: string | null; prediction: string | null }[];
    expect(rows.map((row) => row.id)).toEqual([1, 2, 3]);
    for (const row of rows.slice(0, 2)) {
      const prediction = JSON.parse(row.prediction!) as {
        response: string;
        session_id: string;
        sources: unknown[];
      };
      // Both calls of a row with the same arguments share one answer.
      expect(row.answer).toBe(prediction.response);
      expect(prediction.sources.length).toBeGreaterThan(0);
      expect((await client.sessions.get(prediction.session_id)).turns).toHaveLength(1);
    }
    expect(rows[2]).toEqual({ id: 3, answer: null, prediction: null });
  });

  it('asks each question once even though the statement runs again: a CREATE TABLE AS keeps one answer per row', async () => {
    // Prepare: a CSV of questions, each in its own session.
    const csv = join(workDir, 'questions.csv');
    await writeFile(
      csv,
      'id,question,session\n1,How do I change the port?,sql-once-1\n2,Where are sessions stored?,sql-once-2\n',
    );

    // Act
    const run = await sql([
      `CREATE TABLE answers AS SELECT id, ask_rag(question, session) AS prediction FROM read_csv('${csv}');` +
        ` SELECT id::INTEGER AS id, prediction->>'session_id' AS session FROM answers ORDER BY id`,
      '--json',
    ]);

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      { id: 1, session: 'sql-once-1' },
      { id: 2, session: 'sql-once-2' },
    ]);
    for (const session of ['sql-once-1', 'sql-once-2']) {
      expect((await client.sessions.get(session)).turns).toHaveLength(1);
    }
  });

  it('asks the questions of one session in the order the statement made them', async () => {
    // Act
    const run = await sql([
      `SELECT ask_rag(question, 'sql-conversation')->>'session_id' AS s FROM (VALUES (1, 'How do I run rag-serving locally?'), (2, 'Where does it keep its data?')) AS t(n, question)`,
    ]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('s | sql-conversation');
    expect((await client.sessions.get('sql-conversation')).turns.map((turn) => turn.query)).toEqual([
      'How do I run rag-serving locally?',
      'Where does it keep its data?',
    ]);
  });

  it('answers a failed call with its error object, as the Redshift UDF does', async () => {
    const run = await sql([`SELECT ask_rag('What is a token?', 'not a valid id!') AS prediction`, '--json']);

    expect(run.code).toBe(0);
    const [row] = JSON.parse(run.stdout) as { prediction: string }[];
    expect(JSON.parse(row!.prediction)).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it('exits 2 on bad SQL and on arguments that never settle, 3 on a refused token', async () => {
    const syntax = await sql(['SELEC 1']);
    const unsettled = await sql([`SELECT ask_rag('Question ' || random()::VARCHAR, NULL) AS a`]);
    const refused = await sql([`SELECT ask_rag('What is a token?', NULL) AS a`], 'dapi-wrong');

    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain('Parser Error');
    expect(unsettled.code).toBe(2);
    expect(unsettled.stderr).toContain('still asked new questions after 5 runs');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('401 UNAUTHENTICATED');
  });
});
