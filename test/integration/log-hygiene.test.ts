import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../fakes/dynamo-fault-proxy.js';
import { call, startTestServer, TEST_TOKEN, type TestServer } from '../support/local-server.js';

const EMAIL = 'jane.doe@example.com';
const PHONE = '(415) 555-0134';
const SSN = '078-05-1120';
const CARD = '4111 1111 1111 1111';
/** Not PII, just a phrase that appears nowhere but in the prompt. */
const PROMPT_MARKER = 'purple-walrus-quartet';
const QUERY = `My email is ${EMAIL}, phone ${PHONE}, SSN ${SSN}, card ${CARD}: ${PROMPT_MARKER} how do tokens work?`;

let dynamo: EmbeddedDynamo;
let proxy: DynamoFaultProxy;
beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  proxy = await startDynamoFaultProxy(dynamo.endpoint);
});
afterAll(async () => {
  await proxy?.close();
  await dynamo?.close();
});

const running: TestServer[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const server of running.splice(0)) await server.stop();
});

/** Everything the process writes to stdout and stderr (where Powertools logs) while `work` runs. */
async function captureOutput(work: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await work();
  } finally {
    vi.restoreAllMocks();
  }
  return lines.join('');
}

/** Requests that put PII, prompts and tokens in front of the logger: answers, errors and a 5xx. */
async function sendSensitiveRequests(server: TestServer): Promise<void> {
  const invocations = `/serving-endpoints/${server.endpointName}/invocations`;
  await server.invoke({ dataframe_records: [{ query: QUERY, session_id: 'pii-1' }] });
  await server.invoke(`{"dataframe_records": [{"query": "${QUERY}" oops`);
  await server.invoke({ dataframe_records: [{ query: QUERY }], params: { top_k: 999 } });
  await call(server, 'POST', '/feedback', TEST_TOKEN, { session_id: 'pii-1', rating: 1, comment: QUERY });
  await call(server, 'GET', '/sessions/pii-1', TEST_TOKEN);
  await call(server, 'POST', invocations, `dapi${'ab'.repeat(20)}`, {
    dataframe_records: [{ query: QUERY }],
  });
  // A backend failure, which is logged with its cause.
  proxy.inject(['PutItem'], { kind: 'server-error' });
  try {
    const failed = await server.invoke({ dataframe_records: [{ query: QUERY, session_id: 'pii-2' }] });
    expect(failed.status).toBe(503);
  } finally {
    proxy.heal();
  }
}

describe('Log hygiene', () => {
  it('writes no token, prompt text or PII to the logs by default', async () => {
    // Prepare
    const server = await startTestServer({
      dynamodbEndpoint: proxy.endpoint,
      environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG' },
    });
    running.push(server);

    // Act
    const output = await captureOutput(() => sendSensitiveRequests(server));

    // Assess: the access log ran (so the capture works), and none of the secrets is in it.
    expect(output).toContain('"message":"request"');
    expect(output).toContain('"principal":"local-user"');
    expect(output).toContain('"message":"request failed"');
    for (const secret of [TEST_TOKEN, EMAIL, PHONE, SSN, CARD, PROMPT_MARKER, 'how do tokens work']) {
      expect(output).not.toContain(secret);
    }
  });

  it('logs prompt text only when RAG_LOG_PROMPTS=true, still without tokens or PII', async () => {
    // Prepare
    const server = await startTestServer({
      dynamodbEndpoint: proxy.endpoint,
      environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG', RAG_LOG_PROMPTS: 'true' },
    });
    running.push(server);

    // Act
    const output = await captureOutput(() => sendSensitiveRequests(server));

    // Assess
    expect(output).toContain(PROMPT_MARKER);
    for (const secret of [TEST_TOKEN, EMAIL, PHONE, SSN, CARD]) expect(output).not.toContain(secret);
    expect(output).toContain('[EMAIL]');
  });
});
