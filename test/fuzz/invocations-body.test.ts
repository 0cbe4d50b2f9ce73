import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Limits } from '../../src/shared/limits.js';
import { startTestServer, TEST_TOKEN, type TestServer } from '../support/local-server.js';

/** Every error_code the API may answer with (DESIGN section 3). */
const DATABRICKS_ERROR_CODES = new Set([
  'BAD_REQUEST',
  'INVALID_PARAMETER_VALUE',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'ENDPOINT_NOT_FOUND',
  'RESOURCE_DOES_NOT_EXIST',
  'NOT_FOUND',
  'REQUEST_LIMIT_EXCEEDED',
  'TEMPORARILY_UNAVAILABLE',
  'DEADLINE_EXCEEDED',
]);

const RUNS = 2_000;
/** Bounds the run on a slow machine; fewer runs then, never a hang. */
const TIME_LIMIT_MS = 40_000;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

// ---- generated bodies: mostly almost right, since that is where parsers break ----

const scalar = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const anyValue = fc.oneof(scalar, fc.jsonValue({ maxDepth: 3 }));

const query = fc.oneof(
  { weight: 12, arbitrary: fc.lorem({ maxCount: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '   ', '\u0000', '\ud800', 'x'.repeat(Limits.maxQueryChars + 1)),
  },
  { weight: 2, arbitrary: anyValue },
);
const sessionId = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'has space',
      'ünïcode',
      '../etc/passwd',
      'x'.repeat(Limits.maxSessionIdChars + 1),
    ),
  },
  { weight: 1, arbitrary: anyValue },
);
const record = fc.oneof(
  { weight: 10, arbitrary: fc.record({ query, session_id: sessionId }, { requiredKeys: ['query'] }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), anyValue, { maxKeys: 3 }) },
  { weight: 1, arbitrary: query },
);
const records = fc.oneof(
  { weight: 8, arbitrary: fc.array(record, { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: Limits.maxRecords + 1 }, () => 'q')) },
  { weight: 1, arbitrary: anyValue },
);
const dataframeSplit = fc.record(
  {
    columns: fc.oneof(
      fc.constant(['query', 'session_id']),
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
      anyValue,
    ),
    data: fc.oneof(
      fc.array(fc.array(anyValue, { maxLength: 3 }), { maxLength: 3 }),
      fc.array(fc.tuple(query, sessionId), { maxLength: 3 }),
      anyValue,
    ),
    index: fc.array(fc.integer(), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const columnarInputs = fc.record(
  { query: fc.array(query, { maxLength: 3 }), session_id: fc.array(sessionId, { maxLength: 3 }) },
  { requiredKeys: [] },
);
const params = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        top_k: fc.oneof(
          { weight: 15, arbitrary: fc.integer({ min: 1, max: 50 }) },
          fc.integer({ min: -5, max: 60 }),
          anyValue,
        ),
        temperature: fc.oneof(
          { weight: 15, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
          anyValue,
        ),
        max_tokens: fc.oneof(
          { weight: 15, arbitrary: fc.integer({ min: 1, max: 4096 }) },
          fc.integer({ min: -1, max: 5000 }),
          anyValue,
        ),
        filter: fc.oneof(
          { weight: 15, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 2 }) },
          anyValue,
        ),
        return_trace: fc.oneof({ weight: 15, arbitrary: fc.boolean() }, anyValue),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 3 }) },
  { weight: 1, arbitrary: anyValue },
);
const format = fc.oneof(
  { weight: 3, arbitrary: fc.record({ dataframe_records: records }) },
  { weight: 1, arbitrary: fc.record({ dataframe_split: fc.oneof(dataframeSplit, anyValue) }) },
  { weight: 2, arbitrary: fc.record({ instances: records }) },
  { weight: 2, arbitrary: fc.record({ inputs: fc.oneof(records, columnarInputs) }) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        messages: fc.array(
          fc.record({ role: fc.constantFrom('user', 'system', 'assistant', 'tool'), content: query }),
          { maxLength: 3 },
        ),
        stream: fc.oneof({ weight: 4, arbitrary: fc.boolean() }, anyValue),
        max_tokens: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 4096 }) }, anyValue),
      },
      { requiredKeys: ['messages'] },
    ),
  },
);
/** Exactly one input format most of the time; none or two now and then. */
const formats = fc.oneof(
  { weight: 12, arbitrary: fc.array(format, { minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.array(format, { minLength: 2, maxLength: 2 }) },
);
const extraKeys = fc.oneof(
  { weight: 12, arbitrary: fc.constant([] as [string, unknown][]) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.tuple(
        fc.constantFrom('client_request_id', 'stream', 'model', '__proto__', 'constructor', 'extra'),
        anyValue,
      ),
      { maxLength: 2 },
    ),
  },
);
const structuredBody = fc
  .tuple(formats, fc.option(params, { nil: undefined }), extraKeys)
  // fromEntries defines own properties, so a '__proto__' key reaches the wire as a key.
  .map(([chosen, p, extra]) =>
    JSON.stringify(
      Object.fromEntries([
        ...chosen.flatMap((f) => Object.entries(f)),
        ...(p === undefined ? [] : [['params', p] as [string, unknown]]),
        ...extra,
      ]),
    ),
  );

const rawBody = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  structuredBody.map((text) => text.slice(0, Math.max(1, Math.floor(text.length / 2)))),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.constant(''),
);
const body = fc.oneof({ weight: 4, arbitrary: structuredBody }, { weight: 1, arbitrary: rawBody });
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/vnd.api+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      undefined,
    ),
  },
);

describe('Fuzzing POST /serving-endpoints/{name}/invocations', () => {
  it(
    'never answers 5xx, always names a Databricks error_code, and stays up',
    async () => {
      // Prepare
      const statuses = new Map<number, number>();

      // Act
      await fc.assert(
        fc.asyncProperty(body, contentType, async (text, type) => {
          const response = await fetch(server.invocationsUrl, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${TEST_TOKEN}`,
              ...(type !== undefined && { 'content-type': type }),
            },
            body: text,
          });
          const answer = await response.text();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);

          // Assess (per body)
          expect(response.status).toBeLessThan(500);
          expect(response.headers.get('x-request-id')).toBeTruthy();
          if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
            // A chat-style body with "stream": true: server-sent events that end well.
            expect(response.status).toBe(200);
            expect(answer.trimEnd().endsWith('data: [DONE]')).toBe(true);
            return;
          }
          const parsed = JSON.parse(answer) as {
            error_code?: unknown;
            predictions?: unknown;
            object?: unknown;
          };
          if (response.status >= 400) {
            expect(DATABRICKS_ERROR_CODES.has(String(parsed.error_code))).toBe(true);
            expect(answer).not.toMatch(/\n\s+at /);
          } else {
            // MLflow formats answer predictions; a chat-style body answers a chat completion.
            expect(Array.isArray(parsed.predictions) || parsed.object === 'chat.completion').toBe(true);
          }
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
      );

      // Assess (afterwards): still serving, and the runs exercised both answers and refusals.
      const health = await fetch(`${server.url}/health`);
      const sane = await server.invoke({ dataframe_records: [{ query: 'Is the server still up?' }] });
      expect(health.status).toBe(200);
      expect(sane.status).toBe(200);
      expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
      expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
      console.info(
        `fuzzed ${[...statuses.values()].reduce((a, b) => a + b, 0)} bodies: ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
    },
    TIME_LIMIT_MS + 30_000,
  );
});
