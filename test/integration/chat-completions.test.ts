import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_TOKEN, type TestServer } from '../support/local-server.js';

// The `openai` package's newest major needs Node 22; 6.49.0 is the last one that runs on Node 20.
let server: TestServer;
let openai: OpenAI;

beforeAll(async () => {
  server = await startTestServer();
  openai = new OpenAI({ baseURL: `${server.url}/serving-endpoints`, apiKey: TEST_TOKEN, maxRetries: 0 });
});
afterAll(async () => {
  await server.stop();
});

interface Extras {
  sources: { id: string; source: string; score: number; text: string }[];
  session_id?: string;
  guardrail: { action: string };
}

const question = { role: 'user' as const, content: 'How do I change the port of the local server?' };

const chat = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/serving-endpoints/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}`, ...headers },
    body: JSON.stringify(body),
  });

describe('POST /serving-endpoints/chat/completions (OpenAI SDK)', () => {
  it('answers a chat.completion with usage and the sources as an extra field', async () => {
    // Act
    const completion = await openai.chat.completions.create({ model: 'rag', messages: [question] });
    // Assess
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('rag');
    expect(completion.choices[0]!.message.role).toBe('assistant');
    expect(completion.choices[0]!.message.content).toMatch(/\[1\]/);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage!.total_tokens).toBe(
      completion.usage!.prompt_tokens + completion.usage!.completion_tokens,
    );
    const extras = completion as unknown as Extras;
    expect(extras.sources.length).toBeGreaterThan(0);
    expect(extras.session_id).toBeUndefined();
  });

  it('streams chat.completion.chunk events and ends with the sources', async () => {
    // Act
    const stream = await openai.chat.completions.create({ model: 'rag', messages: [question], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    // Assess
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(1);
    const last = chunks.at(-1)!;
    expect(last.choices[0]!.finish_reason).toBe('stop');
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    const sources = (last as unknown as Extras).sources;
    expect(sources.length).toBeGreaterThan(0);
    const cited = Math.max(...[...text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
    expect(cited).toBe(sources.length);
  });

  it('keeps the conversation in the session named by x-session-id', async () => {
    // Prepare
    const sessionOptions = { headers: { 'x-session-id': 'openai-session-1' } };
    await openai.chat.completions.create(
      { model: 'rag', messages: [{ role: 'user', content: 'How are sessions stored in DynamoDB?' }] },
      sessionOptions,
    );
    // Act
    const followUp = await openai.chat.completions.create(
      { model: 'rag', messages: [{ role: 'user', content: 'How long do they live?' }] },
      sessionOptions,
    );
    // Assess
    expect((followUp as unknown as Extras).session_id).toBe('openai-session-1');
    // Condensed with the stored turn, the follow-up retrieves documents about sessions.
    expect((followUp as unknown as Extras).sources.every((source) => /session/i.test(source.text))).toBe(
      true,
    );
  });

  it('reports an unknown model as 404 in the OpenAI error shape', async () => {
    // Act
    const failure = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [question] })
      .catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    const error = failure as InstanceType<typeof OpenAI.NotFoundError>;
    expect(error.status).toBe(404);
    expect(error.code).toBe('ENDPOINT_NOT_FOUND');
    expect(error.type).toBe('not_found_error');
    expect(error.headers.get('x-request-id')).toBeTruthy();
  });

  it('rejects bad values with 400 in the OpenAI error shape', async () => {
    // Act
    const responses = await Promise.all([
      chat({ model: 'rag', messages: [question], temperature: 1.5 }),
      chat({ model: 'rag', messages: [{ role: 'assistant', content: 'hi' }] }),
      chat({ model: 'rag', messages: [question], tools: [] }),
      chat({ messages: [question] }),
    ]);
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as {
      error: { message: string; type: string; code: string };
    }[];
    // Assess
    expect(responses.map((r) => r.status)).toEqual([400, 400, 400, 400]);
    expect(bodies.map((b) => b.error.type)).toEqual(Array(4).fill('invalid_request_error'));
    expect(bodies.map((b) => b.error.code)).toEqual([
      'INVALID_PARAMETER_VALUE',
      'INVALID_PARAMETER_VALUE',
      'BAD_REQUEST',
      'INVALID_PARAMETER_VALUE',
    ]);
    expect(bodies[0]!.error.message).toMatch(/'temperature' must be at most 1/);
    expect(bodies[2]!.error.message).toMatch(/'tools'/);
  });

  it('needs a token, like every invocation', async () => {
    // Act
    const response = await fetch(`${server.url}/serving-endpoints/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'rag', messages: [question] }),
    });
    // Assess
    expect(response.status).toBe(401);
  });
});

describe('POST /serving-endpoints/{name}/invocations (chat style)', () => {
  it('answers messages with a chat.completion, the earlier messages carrying the history', async () => {
    // Act
    const response = await server.invoke({
      messages: [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: 'How are sessions stored in DynamoDB?' },
        { role: 'assistant', content: 'One item per turn.' },
        { role: 'user', content: 'How long do they live?' },
      ],
    });
    const body = (await response.json()) as {
      object: string;
      choices: { message: { content: string } }[];
    } & Extras;
    // Assess
    expect(response.status).toBe(200);
    expect(body.object).toBe('chat.completion');
    expect(body.sources.every((source) => /session/i.test(source.text))).toBe(true);
    expect(body.session_id).toBeUndefined();
  });

  it('streams server-sent events ending with [DONE]', async () => {
    // Act
    const response = await server.invoke({ messages: [question], stream: true });
    const text = await response.text();
    // Assess
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = text.split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const final = JSON.parse(events.at(-2)!.slice(6)) as Extras & { choices: { finish_reason: string }[] };
    expect(final.choices[0]!.finish_reason).toBe('stop');
    expect(final.sources.length).toBeGreaterThan(0);
  });

  it('stores a streamed turn in the session before the stream ends', async () => {
    // Act
    await (
      await server.invoke({
        messages: [{ role: 'user', content: 'How are sessions stored in DynamoDB?' }],
        stream: true,
        session_id: 'sse-1',
      })
    ).text();
    const followUp = await server.invoke({
      dataframe_records: [{ query: 'How long do they live?', session_id: 'sse-1' }],
      params: { return_trace: true },
    });
    const [prediction] = (
      (await followUp.json()) as { predictions: { trace: { retrieval_question: string } }[] }
    ).predictions;
    // Assess
    expect(prediction!.trace.retrieval_question.toLowerCase()).toContain('session');
  });
});
