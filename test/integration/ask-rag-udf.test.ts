import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAskRagHandler } from '../../functions/ask-rag-udf/app.js';
import { askRagServicesFromEnvironment } from '../../functions/ask-rag-udf/composition.js';
import { ensureSessionTable } from '../../src/adapters/dynamodb/session-table.js';
import { ensureUsageTable } from '../../src/adapters/dynamodb/usage-table.js';
import { DynamoSessionStore } from '../../src/adapters/dynamodb/session-store.js';
import { bedrockRuntimeClient } from '../../src/adapters/bedrock/bedrock-client.js';
import { BedrockEmbedder } from '../../src/adapters/bedrock/bedrock-embedder.js';
import { PineconeVectorIndex } from '../../src/adapters/pinecone/pinecone-index.js';
import { fixedApiKey } from '../../src/adapters/pinecone/secret-api-key.js';
import { ingestFolder } from '../../src/ingest/ingest-folder.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import type { RedshiftUdfEvent, UdfArgument } from '../../src/redshift/udf-protocol.js';
import { startFakeBedrock, type FakeBedrock } from '../fakes/fake-bedrock.js';
import { startFakePinecone, type FakePinecone } from '../fakes/fake-pinecone.js';
import { SAMPLE_CORPUS } from '../support/local-server.js';

const SESSION_TABLE = 'udf-sessions';
const USAGE_TABLE = 'udf-usage';
/** Questions carry a marker the fake model echoes, so each result can be matched to its row. */
const MARKER = /\brow-(\d+)\b/;
/** A question with this word makes the fake Bedrock fail every attempt: a backend failing for one row. */
const FAILING_WORD = 'explode';

let dataDir: string;
let dynamo: EmbeddedDynamo;
let bedrock: FakeBedrock;
let pinecone: FakePinecone;
const EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';
const DIMENSIONS = 256;

/** The model's answer names the row its question came from. */
function answerFor(body: Record<string, unknown>): string {
  const messages = body.messages as { content: { text?: string }[] }[];
  const text = messages.map((m) => m.content.map((c) => c.text ?? '').join('')).join('\n');
  if (text.includes(FAILING_WORD)) throw new Error('the fake model fails this question');
  return `This answers row-${MARKER.exec(text)?.[1] ?? '?'} from the documentation [1].`;
}

function environment(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    RAG_DATA_DIR: dataDir,
    // The cloud adapters the deployed function wires, against the wire fakes.
    RAG_BACKEND: 'fakes',
    BEDROCK_GUARDRAIL_ID: 'gr-fake',
    BEDROCK_GUARDRAIL_VERSION: '1',
    BEDROCK_ENDPOINT: bedrock.endpoint,
    BEDROCK_REGION: 'us-east-1',
    BEDROCK_EMBEDDING_MODEL_ID: EMBEDDING_MODEL,
    BEDROCK_EMBEDDING_DIMENSIONS: String(DIMENSIONS),
    BEDROCK_GENERATION_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    PINECONE_HOST: pinecone.host,
    PINECONE_API_KEY: pinecone.apiKey,
    PINECONE_NAMESPACE: '',
    SESSION_TABLE_NAME: SESSION_TABLE,
    USAGE_TABLE_NAME: USAGE_TABLE,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...overrides,
  };
}

let requestCounter = 0;
function udfEvent(user: string, rows: RedshiftUdfEvent['arguments']): RedshiftUdfEvent {
  requestCounter += 1;
  return {
    request_id: `23FF1F97-F28A-44AA-AB67-${String(requestCounter).padStart(12, '0')}`,
    cluster: 'arn:aws:redshift:us-east-1:123456789012:cluster:analytics',
    user,
    database: 'dev',
    external_function: 'public.ask_rag',
    query_id: 5678234 + requestCounter,
    num_records: rows.length,
    arguments: rows,
  };
}

/** Plenty of Lambda time left: the rows' own budgets apply. */
const context = { getRemainingTimeInMillis: () => 300_000 };

type UdfResponse =
  { success: true; num_records: number; results: (string | null)[] } | { success: false; error_msg: string };

let handler: ReturnType<typeof createAskRagHandler>;
async function invoke(
  user: string,
  rows: (readonly UdfArgument[] | null)[],
  ctx = context,
): Promise<UdfResponse> {
  const answer = await handler(udfEvent(user, rows), ctx);
  expect(typeof answer).toBe('string');
  return JSON.parse(answer) as UdfResponse;
}

function results(response: UdfResponse): (Record<string, unknown> | null)[] {
  if (!response.success) throw new Error(`the batch failed: ${response.error_msg}`);
  expect(response.num_records).toBe(response.results.length);
  return response.results.map((result) =>
    result === null ? null : (JSON.parse(result) as Record<string, unknown>),
  );
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'rag-udf-'));
  [dynamo, bedrock, pinecone] = await Promise.all([
    startEmbeddedDynamo(),
    startFakeBedrock({ answer: answerFor }),
    startFakePinecone({ dimension: DIMENSIONS }),
  ]);
  const client = bedrockRuntimeClient({ endpoint: bedrock.endpoint });
  await ingestFolder({
    dir: SAMPLE_CORPUS,
    source: 'docs',
    embedder: new BedrockEmbedder({ modelId: EMBEDDING_MODEL, dimensions: DIMENSIONS, client }),
    index: new PineconeVectorIndex({ host: pinecone.host, apiKey: fixedApiKey(pinecone.apiKey) }),
  });
  client.destroy();
  await ensureSessionTable(dynamo.client, SESSION_TABLE);
  await ensureUsageTable(dynamo.client, USAGE_TABLE);
  handler = createAskRagHandler(await askRagServicesFromEnvironment(environment()));
});
afterAll(async () => {
  await bedrock?.close();
  await pinecone?.close();
  await dynamo?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('Function: ask_rag (Redshift Lambda UDF)', () => {
  it('answers a multi-row batch in order, one prediction JSON per row', async () => {
    // Prepare
    const rows = [
      ['row-0: How do I run rag-serving locally?', null],
      ['row-1: What is a guardrail?', 'udf-batch-a'],
      ['row-2: How do I change the port?', null],
      ['row-3: What file types can I ingest?', 'udf-batch-b'],
    ];

    // Act
    const answered = results(await invoke('analyst', rows));

    // Assess
    expect(answered.map((r) => r?.response)).toEqual(
      rows.map((_, i) => `This answers row-${i} from the documentation [1].`),
    );
    for (const prediction of answered) {
      expect(Object.keys(prediction!).sort()).toEqual([
        'guardrail',
        'response',
        'session_id',
        'sources',
        'usage',
      ]);
      expect((prediction!.sources as unknown[]).length).toBe(1);
      expect(prediction!.guardrail).toEqual({ action: 'NONE' });
    }
    expect(answered[1]!.session_id).toBe('udf-batch-a');
    expect(answered[3]!.session_id).toBe('udf-batch-b');
    expect(answered[0]!.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(answered[0]!.session_id).not.toBe(answered[2]!.session_id);
  });

  it('gives NULL for a NULL query (and a NULL row), and starts a new session for a NULL session id', async () => {
    // Act
    const answered = results(
      await invoke('analyst', [[null, 'udf-null'], ['row-1: What is a source?', null], null, [null, null]]),
    );

    // Assess
    expect(answered[0]).toBeNull();
    expect(answered[1]!.response).toContain('row-1');
    expect(answered[1]!.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(answered.slice(2)).toEqual([null, null]);
  });

  it('answers a row over the query size limit with an error object, and the other rows normally', async () => {
    // Act
    const answered = results(
      await invoke('analyst', [
        ['row-0: What is a guardrail?', null],
        ['x'.repeat(10_001), null],
        ['row-2: What is a token?', 'bad session id!'],
      ]),
    );

    // Assess
    expect(answered[0]!.response).toContain('row-0');
    expect(answered[1]).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: "ask_rag: 'query' has 10001 characters; the limit is 10000.",
    });
    expect(answered[2]).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    expect(answered[2]!.message).toContain("'session_id'");
  });

  it('reports a backend failing for one row in that row only', async () => {
    // Act
    const answered = results(
      await invoke('analyst', [
        ['row-0: What is a guardrail?', null],
        [`row-1: Please ${FAILING_WORD} now`, null],
        ['row-2: How do I change the port?', null],
      ]),
    );

    // Assess
    expect(answered[0]!.response).toContain('row-0');
    expect(answered[1]).toEqual({
      error_code: 'TEMPORARILY_UNAVAILABLE',
      message: 'Bedrock is temporarily unavailable; retry later.',
    });
    expect(answered[2]!.response).toContain('row-2');
  });

  it('fails the statement with error_msg when every row failed for the same cause', async () => {
    // Act
    const response = await invoke('analyst', [
      [`row-0: ${FAILING_WORD} one`, null],
      [`row-1: ${FAILING_WORD} two`, null],
    ]);

    // Assess
    expect(response).toEqual({
      success: false,
      error_msg: 'TEMPORARILY_UNAVAILABLE: Bedrock is temporarily unavailable; retry later.',
    });
  });

  it('runs each turn as the Redshift user: a foreign session is refused, an own one continues', async () => {
    // Prepare: alice starts a session from SQL.
    results(await invoke('alice', [['row-0: How are sessions stored?', 'udf-alice']]));

    // Act
    const bobs = results(
      await invoke('bob', [
        ['row-0: Where does it keep its data?', 'udf-alice'],
        ['row-1: Where does it keep its data?', 'udf-bob'],
      ]),
    );
    const alices = results(await invoke('alice', [['row-1: Where does it keep its data?', 'udf-alice']]));

    // Assess
    expect(bobs[0]).toEqual({
      error_code: 'PERMISSION_DENIED',
      message: "Session 'udf-alice' belongs to another principal.",
    });
    expect(bobs[1]!.session_id).toBe('udf-bob');
    expect(alices[0]!.session_id).toBe('udf-alice');
    const store = new DynamoSessionStore({ tableName: SESSION_TABLE, client: dynamo.client });
    expect(await store.owner('udf-alice')).toBe('redshift:alice');
    expect(await store.owner('udf-bob')).toBe('redshift:bob');
    expect((await store.recent('udf-alice', 10)).map((turn) => turn.query)).toEqual([
      'row-0: How are sessions stored?',
      'row-1: Where does it keep its data?',
    ]);
  });

  it('counts every row against the Redshift user’s quota', async () => {
    // Prepare: two requests per principal per (long) window.
    const limited = createAskRagHandler(
      await askRagServicesFromEnvironment(
        environment({ RAG_QUOTA_RPM: '2', RAG_QUOTA_WINDOW_SECONDS: '3600' }),
      ),
    );
    const rows = ['row-0: What is a quota?', 'row-1: What is a token?', 'row-2: What is a session?'].map(
      (q) => [q, null],
    );

    // Act
    const answered = results(JSON.parse(await limited(udfEvent('quota-user', rows), context)) as UdfResponse);
    const other = results(
      JSON.parse(await limited(udfEvent('other-user', [rows[0]!]), context)) as UdfResponse,
    );

    // Assess
    const refused = answered.filter((r) => r?.error_code === 'REQUEST_LIMIT_EXCEEDED');
    expect(refused).toHaveLength(1);
    expect(answered.filter((r) => typeof r?.response === 'string')).toHaveLength(2);
    expect(other[0]!.response).toContain('row-0');
  });

  it('does not start rows the Lambda has no time left for', async () => {
    // Prepare: less time left than the margin the answer needs.
    const nearlyOut = { getRemainingTimeInMillis: () => 100 };

    // Act
    const response = await invoke(
      'analyst',
      [
        ['row-0: What is a guardrail?', null],
        [null, null],
      ],
      nearlyOut,
    );

    // Assess
    const answered = results(response);
    expect(answered[0]).toMatchObject({ error_code: 'DEADLINE_EXCEEDED' });
    expect(answered[1]).toBeNull();
  });

  it('answers at most RAG_BATCH_CONCURRENCY rows at once', async () => {
    // Prepare
    const narrow = createAskRagHandler(
      await askRagServicesFromEnvironment(environment({ RAG_BATCH_CONCURRENCY: '2' })),
    );
    bedrock.requests.length = 0;
    bedrock.setFault({ latencyMs: 30 });

    // Act
    const answered = results(
      JSON.parse(
        await narrow(
          udfEvent(
            'analyst',
            [0, 1, 2, 3, 4, 5].map((i) => [`row-${i}: What is a guardrail?`, null]),
          ),
          context,
        ),
      ) as UdfResponse,
    );
    bedrock.setFault({ latencyMs: 0 });

    // Assess
    expect(answered.map((r) => r?.response)).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `This answers row-${i} from the documentation [1].`),
    );
    const calls = bedrock.requests.filter((r) => r.operation === 'Converse');
    const overlapping = calls.map(
      (call) =>
        calls.filter((o) => o.receivedAt < call.finishedAt! && call.receivedAt < o.finishedAt!).length,
    );
    expect(calls).toHaveLength(6);
    expect(Math.max(...overlapping)).toBeLessThanOrEqual(2);
  });

  it('fails the statement with error_msg for an event that is not a Redshift payload', async () => {
    const noUser = JSON.parse(await handler({ ...udfEvent('x', []), user: '' }, context)) as UdfResponse;
    const noRows = JSON.parse(await handler({ user: 'x', arguments: 'nope' }, context)) as UdfResponse;
    const wrongArity = JSON.parse(await handler(udfEvent('x', [['only the query']]), context)) as UdfResponse;

    expect(noUser).toEqual({
      success: false,
      error_msg: expect.stringContaining("names no Redshift user ('user')"),
    });
    expect(noRows).toEqual({ success: false, error_msg: expect.stringContaining("no 'arguments'") });
    expect(wrongArity).toEqual({
      success: false,
      error_msg: expect.stringContaining(
        'INVALID_PARAMETER_VALUE: ask_rag takes 2 arguments (query, session_id), got 1',
      ),
    });
  });

  it('is what the Lambda entry point exports, built from the environment at init', async () => {
    // Prepare
    for (const [name, value] of Object.entries(environment())) vi.stubEnv(name, value!);

    // Act
    const { handler: entry } = await import('../../functions/ask-rag-udf/handler.js');
    const response = JSON.parse(
      await entry(udfEvent('analyst', [['row-7: What is a guardrail?', null]]), context),
    ) as UdfResponse;
    vi.unstubAllEnvs();

    // Assess
    expect(results(response)[0]!.response).toBe('This answers row-7 from the documentation [1].');
  });
});
