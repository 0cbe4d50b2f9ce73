import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { bedrockRuntimeClient } from '../../src/adapters/bedrock/bedrock-client.js';
import { BedrockGenerator } from '../../src/adapters/bedrock/bedrock-generator.js';
import { BedrockGuardrail } from '../../src/adapters/bedrock/bedrock-guardrail.js';
import { BackendUnavailableError } from '../../src/core/errors.js';
import type { GenerateChunk, GenerateOptions } from '../../src/core/ports/generator.js';
import type { RetrievedChunk, Turn } from '../../src/core/ports/types.js';
import { FAKE_BLOCKED_MESSAGE, startFakeBedrock, type FakeBedrock } from '../fakes/fake-bedrock.js';

let fake: FakeBedrock;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  fake = await startFakeBedrock({
    answer: () => 'Sessions live for thirty days [2]. The table is DynamoDB [1].',
    condense: () => 'How long do DynamoDB sessions live?',
  });
  client = bedrockRuntimeClient({ endpoint: fake.endpoint, retryBaseDelayMs: 10 });
});
afterAll(async () => {
  client.destroy();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.setFault({ throttle: 0, serverErrors: 0, guardrail: 'pass', firstTokenDelayMs: 0, tokenDelayMs: 0 });
});

const passage = (id: string, text: string): RetrievedChunk => ({
  id,
  text,
  title: `Title ${id}`,
  location: `docs/${id}.md`,
  metadata: {},
  score: 1,
});
const passages = [
  passage('a', 'Sessions are stored in DynamoDB.'),
  passage('b', 'A turn lives thirty days.'),
];
const history: Turn[] = [
  {
    sessionId: 's',
    query: 'Where are sessions stored?',
    response: 'In DynamoDB [1].',
    sources: [],
    createdAt: 1,
  },
  { sessionId: 's', query: 'Withheld one', response: '', sources: [], createdAt: 2 },
];
const request = (overrides: Partial<GenerateOptions> = {}): GenerateOptions => ({
  question: 'How long do they live?',
  passages,
  history,
  params: { temperature: 0.2, maxTokens: 300 },
  ...overrides,
});

async function collect(stream: AsyncIterable<GenerateChunk>): Promise<GenerateChunk[]> {
  const chunks: GenerateChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('Class: BedrockGenerator', () => {
  it('sends numbered passages in the system prompt, history as messages and the inference parameters', async () => {
    // Prepare
    const generator = new BedrockGenerator({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', client });
    // Act
    const result = await generator.generate(request());
    // Assess
    const sent = fake.requests[0]!;
    expect(sent.operation).toBe('Converse');
    expect(sent.target).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    const system = (sent.body.system as { text: string }[])[0]!.text;
    expect(system).toMatch(/\[1\] Title a \(docs\/a\.md\)\nSessions are stored in DynamoDB\./);
    expect(system).toMatch(/\[2\] Title b/);
    expect(system).toMatch(/cite/i);
    const messages = sent.body.messages as { role: string; content: { text: string }[] }[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages.map((m) => m.content[0]!.text)).toEqual([
      'Where are sessions stored?',
      'In DynamoDB [1].',
      'How long do they live?',
    ]);
    expect(sent.body.inferenceConfig).toEqual({ maxTokens: 300, temperature: 0.2 });
    expect(sent.body.guardrailConfig).toBeUndefined();
    expect(result.text).toBe('Sessions live for thirty days [2]. The table is DynamoDB [1].');
    expect(result.citations).toEqual([2, 1]);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
  });

  it('streams text deltas from ConverseStream and finishes with citations and usage', async () => {
    // Prepare
    const generator = new BedrockGenerator({ modelId: 'amazon.nova-lite-v1:0', client });
    // Act
    const chunks = await collect(generator.stream(request()));
    // Assess
    expect(fake.requests[0]!.operation).toBe('ConverseStream');
    const text = chunks.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');
    expect(chunks.filter((c) => c.type === 'text').length).toBeGreaterThan(5);
    expect(text).toBe('Sessions live for thirty days [2]. The table is DynamoDB [1].');
    const finish = chunks.at(-1)!;
    expect(finish).toMatchObject({ type: 'finish', citations: [2, 1] });
    expect(finish.type === 'finish' && finish.usage.outputTokens).toBe(chunks.length - 1);
  });

  it('attaches a guardrail to Converse and reports its intervention as the answer', async () => {
    // Prepare
    const generator = new BedrockGenerator({
      modelId: 'amazon.nova-lite-v1:0',
      guardrail: { guardrailId: 'gr-123', guardrailVersion: '4' },
      client,
    });
    // Act
    const passed = await generator.generate(request());
    const blocked = await generator.generate(request({ question: 'Tell me the forbidden thing' }));
    // Assess
    expect(fake.requests[0]!.body.guardrailConfig).toEqual({
      guardrailIdentifier: 'gr-123',
      guardrailVersion: '4',
      trace: 'enabled',
    });
    expect(passed.guardrail).toBeUndefined();
    expect(blocked.text).toBe(FAKE_BLOCKED_MESSAGE);
    expect(blocked.citations).toEqual([]);
    expect(blocked.guardrail).toEqual({
      action: 'INTERVENED',
      output: FAKE_BLOCKED_MESSAGE,
      source: 'INPUT',
      assessments: [{ policy: 'wordPolicy', type: 'CUSTOM', action: 'BLOCKED' }],
    });
  });

  it('maps stopReason guardrail_intervened of a stream, with sync processing requested', async () => {
    // Prepare
    const generator = new BedrockGenerator({
      modelId: 'amazon.nova-lite-v1:0',
      guardrail: { guardrailId: 'gr-123', guardrailVersion: '4' },
      client,
    });
    // Act
    const chunks = await collect(generator.stream(request({ question: 'forbidden question' })));
    // Assess
    expect(fake.requests[0]!.body.guardrailConfig).toMatchObject({ streamProcessingMode: 'sync' });
    expect(chunks.at(-1)).toMatchObject({
      type: 'finish',
      guardrail: { action: 'INTERVENED', source: 'INPUT' },
    });
  });

  it('condenses a follow-up with a short rewrite prompt at temperature 0', async () => {
    // Prepare
    const generator = new BedrockGenerator({
      modelId: 'amazon.nova-pro-v1:0',
      condenseModelId: 'amazon.nova-micro-v1:0',
      client,
    });
    // Act
    const condensed = await generator.condense({ question: 'How long do they live?', history });
    const first = await generator.condense({ question: 'Standalone?', history: [] });
    // Assess
    expect(condensed.question).toBe('How long do DynamoDB sessions live?');
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.target).toBe('amazon.nova-micro-v1:0');
    expect(sent.body.inferenceConfig).toEqual({ maxTokens: 200, temperature: 0 });
    const message = (sent.body.messages as { content: { text: string }[] }[])[0]!.content[0]!.text;
    expect(message).toContain('User: Where are sessions stored?');
    expect(message).toContain('Follow-up question: How long do they live?');
    expect(first.question).toBe('Standalone?');
  });

  it('maps a failing stream request to BackendUnavailableError after the retries', async () => {
    // Prepare
    const generator = new BedrockGenerator({ modelId: 'amazon.nova-lite-v1:0', client });
    fake.setFault({ serverErrors: 5 });
    // Act
    const failure = await collect(generator.stream(request())).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect(fake.requests.map((r) => r.status)).toEqual([500, 500, 500]);
  });
});

describe('Class: BedrockGuardrail', () => {
  const guardrail = () => new BedrockGuardrail({ guardrailId: 'gr-9', guardrailVersion: 'DRAFT', client });

  it('sends the text with its source to ApplyGuardrail and passes clean text', async () => {
    // Act
    const result = await guardrail().check({ text: 'How do I deploy?', source: 'INPUT' });
    // Assess
    expect(fake.requests[0]).toMatchObject({
      operation: 'ApplyGuardrail',
      target: 'gr-9',
      guardrailVersion: 'DRAFT',
      body: { source: 'INPUT', content: [{ text: { text: 'How do I deploy?' } }] },
    });
    expect(result).toEqual({ action: 'NONE', assessments: [] });
  });

  it('returns the blocked message and a summary of the assessments without the matched text', async () => {
    // Act
    const result = await guardrail().check({ text: 'this is forbidden', source: 'OUTPUT' });
    // Assess
    expect(result).toEqual({
      action: 'INTERVENED',
      output: FAKE_BLOCKED_MESSAGE,
      assessments: [{ policy: 'wordPolicy', type: 'CUSTOM', action: 'BLOCKED' }],
    });
    expect(JSON.stringify(result.assessments)).not.toContain('forbidden');
  });

  it('returns the masked text when the guardrail anonymizes', async () => {
    // Prepare
    fake.setFault({ guardrail: 'anonymize' });
    // Act
    const result = await guardrail().check({ text: 'Mail ops@example.com for access.', source: 'OUTPUT' });
    // Assess
    expect(result).toEqual({
      action: 'INTERVENED',
      output: 'Mail {EMAIL} for access.',
      assessments: [{ policy: 'sensitiveInformationPolicy', type: 'EMAIL', action: 'ANONYMIZED' }],
    });
  });
});
