import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_TOKEN, type TestServer } from '../support/local-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

interface Prediction {
  response: string;
  session_id: string;
  sources: { id: string; source: string; score: number; text: string }[];
  usage: { input_tokens: number; output_tokens: number };
  guardrail: { action: string };
  trace?: {
    retrieval_question: string;
    retrieved: { id: string; score: number }[];
    timings_ms: Record<string, number>;
  };
}

async function predictions(response: Response): Promise<Prediction[]> {
  expect(response.status).toBe(200);
  return ((await response.json()) as { predictions: Prediction[] }).predictions;
}

describe('POST /serving-endpoints/{name}/invocations', () => {
  it('answers a dataframe_records query with cited sources from the sample corpus', async () => {
    // Act
    const [prediction] = await predictions(
      await server.invoke({
        dataframe_records: [{ query: 'How do I run rag-serving locally?', session_id: 's1' }],
      }),
    );
    // Assess
    expect(prediction!.session_id).toBe('s1');
    expect(prediction!.sources.length).toBeGreaterThan(0);
    expect(prediction!.sources[0]!.source).toMatch(/^docs\//);
    expect(prediction!.response).toMatch(/\[1\]/);
    expect(prediction!.usage.output_tokens).toBeGreaterThan(0);
    expect(prediction!.guardrail.action).toBe('NONE');
  });

  it('condenses a follow-up with the session history before retrieval', async () => {
    // Prepare
    const sessionId = 'follow-up-1';
    await server.invoke({
      dataframe_records: [{ query: 'How are sessions stored in DynamoDB?', session_id: sessionId }],
    });
    // Act
    const [followUp] = await predictions(
      await server.invoke({
        dataframe_records: [{ query: 'How long do they live?', session_id: sessionId }],
        params: { return_trace: true },
      }),
    );
    // Assess
    expect(followUp!.trace!.retrieval_question).not.toBe('How long do they live?');
    expect(followUp!.trace!.retrieval_question.toLowerCase()).toContain('session');
    expect(followUp!.sources.length).toBeGreaterThan(0);
  });

  it('keeps the order of a batch and gives each record its session', async () => {
    // Prepare
    const ids = Array.from({ length: 12 }, (_, i) => `batch-${i}`);
    // Act
    const result = await predictions(
      await server.invoke({
        dataframe_records: ids.map((id, i) => ({
          query: `question ${i} about deployment stages`,
          session_id: id,
        })),
      }),
    );
    // Assess
    expect(result.map((p) => p.session_id)).toEqual(ids);
  });

  it.each([
    [
      'dataframe_split',
      { dataframe_split: { columns: ['query', 'session_id'], data: [['What is a guardrail?', 'split-1']] } },
    ],
    [
      'dataframe_split with index',
      { dataframe_split: { index: [0], columns: ['query'], data: [['What is a guardrail?']] } },
    ],
    ['instances', { instances: [{ query: 'What is a guardrail?', session_id: 'inst-1' }] }],
    ['inputs as records', { inputs: [{ query: 'What is a guardrail?' }] }],
    [
      'inputs as columns',
      { inputs: { query: ['What is a guardrail?', 'Which stages exist?'], session_id: ['col-1', 'col-2'] } },
    ],
  ])('accepts %s', async (_name, body) => {
    // Act
    const result = await predictions(await server.invoke(body));
    // Assess
    const rows = 'inputs' in body && !Array.isArray(body.inputs) ? 2 : 1;
    expect(result).toHaveLength(rows);
    for (const prediction of result) expect(prediction.response.length).toBeGreaterThan(0);
  });

  it('starts a new session when session_id is missing and says which', async () => {
    // Act
    const [prediction] = await predictions(
      await server.invoke({ dataframe_records: [{ query: 'What is the default port?' }] }),
    );
    // Assess
    expect(prediction!.session_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a request shaped exactly as the Databricks Python SDK sends serving_endpoints.query', async () => {
    // Prepare: ServingEndpointsAPI.query posts to /serving-endpoints/{name}/invocations with these headers
    // and a body holding only the non-None arguments.
    const headers = {
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': 'databricks-sdk-py/0.67.0 python/3.11.7 os/linux auth/pat',
    };
    // Act
    const response = await server.invoke(
      { dataframe_records: [{ query: 'What is a guardrail?', session_id: 'sdk-1' }] },
      { headers },
    );
    // Assess
    const [prediction] = await predictions(response);
    expect(prediction!.session_id).toBe('sdk-1');
  });

  it('accepts Basic auth with user "token", as Databricks does', async () => {
    // Act
    const response = await server.invoke(
      { dataframe_records: [{ query: 'What is the default port?' }] },
      { headers: { authorization: `Basic ${Buffer.from(`token:${TEST_TOKEN}`).toString('base64')}` } },
    );
    // Assess
    expect(response.status).toBe(200);
  });

  it('honours params top_k and return_trace', async () => {
    // Act
    const [prediction] = await predictions(
      await server.invoke({
        dataframe_records: [{ query: 'alarms and dashboards' }],
        params: { top_k: 2, return_trace: true },
      }),
    );
    // Assess
    expect(prediction!.trace!.retrieved.length).toBeLessThanOrEqual(2);
    expect(prediction!.trace!.timings_ms).toHaveProperty('retrieve');
    expect(prediction!.trace!.timings_ms).toHaveProperty('total');
  });
});

describe('bad input is a 4xx with a Databricks error code', () => {
  const q = 'What is a guardrail?';
  const cases: [string, () => Promise<Response>, number, string][] = [
    ['invalid JSON', () => server.invoke('{"dataframe_records": ['), 400, 'BAD_REQUEST'],
    ['empty body', () => server.invoke(''), 400, 'BAD_REQUEST'],
    ['a JSON array body', () => server.invoke([1, 2]), 400, 'BAD_REQUEST'],
    ['no input format', () => server.invoke({ foo: 1 }), 400, 'BAD_REQUEST'],
    [
      'two input formats',
      () => server.invoke({ dataframe_records: [{ query: q }], instances: [{ query: q }] }),
      400,
      'BAD_REQUEST',
    ],
    ['records not a list', () => server.invoke({ dataframe_records: { query: q } }), 400, 'BAD_REQUEST'],
    [
      'split rows of the wrong width',
      () => server.invoke({ dataframe_split: { columns: ['query'], data: [[q, 'x']] } }),
      400,
      'BAD_REQUEST',
    ],
    [
      'columnar inputs of unequal length',
      () => server.invoke({ inputs: { query: [q, q], session_id: ['a'] } }),
      400,
      'BAD_REQUEST',
    ],
    [
      'a record without query',
      () => server.invoke({ dataframe_records: [{ session_id: 'x' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    ],
    [
      'a non-string query',
      () => server.invoke({ dataframe_records: [{ query: 123 }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    ],
    [
      'an empty query',
      () => server.invoke({ dataframe_records: [{ query: '  ' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    ],
    [
      'a query over 10,000 characters',
      () => server.invoke({ dataframe_records: [{ query: 'x'.repeat(10_001) }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    ],
    [
      'more than 100 records',
      () => server.invoke({ dataframe_records: Array(101).fill({ query: q }) }),
      400,
      'INVALID_PARAMETER_VALUE',
    ],
    ['zero records', () => server.invoke({ dataframe_records: [] }), 400, 'INVALID_PARAMETER_VALUE'],
    [
      'a bad session_id',
      () => server.invoke({ dataframe_records: [{ query: q, session_id: 'a b' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    ],
    [
      'an unknown params key',
      () => server.invoke({ dataframe_records: [{ query: q }], params: { topk: 3 } }),
      400,
      'INVALID_PARAMETER_VALUE',
    ],
    [
      'top_k out of range',
      () => server.invoke({ dataframe_records: [{ query: q }], params: { top_k: 0 } }),
      400,
      'INVALID_PARAMETER_VALUE',
    ],
    [
      'temperature out of range',
      () => server.invoke({ dataframe_records: [{ query: q }], params: { temperature: 2 } }),
      400,
      'INVALID_PARAMETER_VALUE',
    ],
    [
      'a body over 6 MB',
      () => server.invoke({ dataframe_records: [{ query: 'x'.repeat(7 * 1024 * 1024) }] }),
      413,
      'BAD_REQUEST',
    ],
    [
      'a body over 16 MB',
      () => server.invoke({ dataframe_records: [{ query: 'x'.repeat(17 * 1024 * 1024) }] }),
      413,
      'BAD_REQUEST',
    ],
    [
      'a text/plain content type',
      () => server.invoke('query=hi', { headers: { 'content-type': 'text/plain' } }),
      415,
      'BAD_REQUEST',
    ],
    [
      'a missing token',
      () => server.invoke({ dataframe_records: [{ query: q }] }, { headers: { authorization: '' } }),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'a wrong token',
      () =>
        server.invoke(
          { dataframe_records: [{ query: q }] },
          { headers: { authorization: 'Bearer dapi-not-a-real-token' } },
        ),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'a malformed Authorization header',
      () => server.invoke({ dataframe_records: [{ query: q }] }, { headers: { authorization: 'Token abc' } }),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'an unknown endpoint',
      () =>
        server.invoke(
          { dataframe_records: [{ query: q }] },
          { url: `${server.url}/serving-endpoints/nope/invocations` },
        ),
      404,
      'ENDPOINT_NOT_FOUND',
    ],
    [
      'an unknown route',
      () => server.invoke({}, { url: `${server.url}/serving-endpoints/rag/nothing` }),
      404,
      'NOT_FOUND',
    ],
  ];

  it.each(cases)('%s', async (_name, send, status, errorCode) => {
    // Act
    const response = await send();
    // Assess
    expect(response.status).toBe(status);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const body = (await response.json()) as { error_code: string; message: string };
    expect(body.error_code).toBe(errorCode);
    expect(typeof body.message).toBe('string');
    expect(body.message.length).toBeGreaterThan(0);
    expect(body.message).not.toMatch(/\n\s+at /);
  });

  it('names the offending params key in the message', async () => {
    // Act
    const response = await server.invoke({ dataframe_records: [{ query: q }], params: { top_k: 99 } });
    // Assess
    expect(((await response.json()) as { message: string }).message).toContain('top_k');
  });
});

describe('service routes', () => {
  it.each(['/ping', '/health'])('%s answers 200 without a token', async (path) => {
    // Act
    const response = await fetch(`${server.url}${path}`);
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('/version names the endpoint', async () => {
    // Act
    const body = (await (await fetch(`${server.url}/version`)).json()) as {
      endpoint: string;
      version: string;
    };
    // Assess
    expect(body).toMatchObject({ endpoint: 'rag' });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
