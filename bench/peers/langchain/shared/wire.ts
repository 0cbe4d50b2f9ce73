/**
 * What both LangChain peers share with each other and with the product, written the way a
 * LangChain.js user would: the Databricks wire protocol with zod, the streaming Lambda entry point
 * and Powertools observability. Only the RAG part differs between the peers.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
// A namespace import: `import { z }` would bundle all of zod (≈ 450 kB more), as DESIGN 7 measured.
import * as z from 'zod';

declare const awslambda: {
  streamifyResponse(
    handler: (event: ProxyEvent, stream: Writable, context: unknown) => Promise<void>,
  ): unknown;
  HttpResponseStream: {
    from(stream: Writable, prelude: { statusCode: number; headers: Record<string, string> }): Writable;
  };
};

export interface ProxyEvent {
  readonly body: string | null;
  readonly isBase64Encoded?: boolean;
  readonly pathParameters?: Record<string, string> | null;
  readonly requestContext?: { readonly authorizer?: Record<string, string> | null };
}

export const env = process.env;
export const region = env.AWS_REGION ?? 'us-east-1';
const endpointName = env.RAG_ENDPOINT_NAME ?? 'rag';

export const logger = new Logger({ serviceName: 'rag-serving' });
export const metrics = new Metrics({ namespace: 'RagServing', serviceName: 'rag-serving' });
// An endpoint override points at a local stand-in, which gets dummy credentials (as the product does).
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The passage metadata fields the product's ingestion writes to Pinecone. */
export const PINECONE_TEXT_KEY = 'chunk_text';
export const PINECONE_LOCATION_KEY = 'chunk_location';

export const record = z.object({
  query: z.string().min(1).max(10_000),
  session_id: z
    .string()
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/)
    .optional(),
});
export const params = z
  .object({
    top_k: z.number().int().min(1).max(50).default(5),
    temperature: z.number().min(0).max(1).optional(),
    max_tokens: z.number().int().min(1).max(4096).optional(),
    filter: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    return_trace: z.boolean().default(false),
  })
  .strict()
  .default({ top_k: 5, return_trace: false });
const body = z.union([
  z.object({ dataframe_records: z.array(record).min(1).max(100), params }),
  z.object({
    dataframe_split: z.object({ columns: z.array(z.string()), data: z.array(z.array(z.unknown())) }),
    params,
  }),
  z.object({ instances: z.array(record).min(1).max(100), params }),
  z.object({
    inputs: z.union([
      z.array(record).min(1).max(100),
      z.object({ query: z.array(z.string()), session_id: z.array(z.string()).optional() }),
    ]),
    params,
  }),
]);
type Body = z.infer<typeof body>;
export type InputRecord = z.infer<typeof record>;
export type Params = z.infer<typeof params>;

function recordsOf(parsed: Body): InputRecord[] {
  if ('dataframe_records' in parsed) return parsed.dataframe_records;
  if ('instances' in parsed) return parsed.instances;
  if ('dataframe_split' in parsed) {
    const { columns, data } = parsed.dataframe_split;
    return data.map((row) => record.parse(Object.fromEntries(columns.map((c, i) => [c, row[i]]))));
  }
  if (Array.isArray(parsed.inputs)) return parsed.inputs;
  const { query, session_id } = parsed.inputs;
  return query.map((q, i) => record.parse({ query: q, session_id: session_id?.[i] }));
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Prediction {
  readonly response: string;
  readonly session_id: string;
  readonly sources: readonly { id: string; source: string; score: number; text: string }[];
  readonly usage: { input_tokens: number; output_tokens: number };
  readonly guardrail: { action: string };
}

export type Answer = (item: InputRecord, params: Params, principal: string) => Promise<Prediction>;

async function invoke(event: ProxyEvent, answer: Answer): Promise<{ status: number; payload: unknown }> {
  if (event.pathParameters?.name !== endpointName) {
    throw new HttpError(404, 'ENDPOINT_NOT_FOUND', `Endpoint '${event.pathParameters?.name}' not found.`);
  }
  const principal = event.requestContext?.authorizer?.principalId ?? 'anonymous';
  let json: unknown;
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString() : event.body;
    json = JSON.parse(text ?? '');
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The body is not valid JSON.');
  }
  const parsed = body.safeParse(json);
  if (!parsed.success) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', z.prettifyError(parsed.error));
  const predictions = await Promise.all(
    recordsOf(parsed.data).map((item) => answer(item, parsed.data.params, principal)),
  );
  for (const prediction of predictions)
    metrics.addMetric('RetrievalHits', MetricUnit.Count, prediction.sources.length);
  return { status: 200, payload: { predictions } };
}

/** The streaming Lambda handler around one answer function: parse, answer each record, respond. */
export function servingHandler(answer: Answer): unknown {
  return awslambda.streamifyResponse(async (event, responseStream) => {
    const started = performance.now();
    let outcome: { status: number; payload: unknown };
    try {
      outcome = await invoke(event, answer);
    } catch (error) {
      if (error instanceof HttpError) {
        outcome = { status: error.status, payload: { error_code: error.errorCode, message: error.message } };
      } else {
        logger.error('request failed', { error });
        outcome = { status: 503, payload: { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'Try again.' } };
      }
    }
    metrics.addMetric('Latency', MetricUnit.Milliseconds, performance.now() - started);
    metrics.publishStoredMetrics();
    const stream = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: outcome.status,
      headers: { 'content-type': 'application/json', 'x-request-id': randomUUID() },
    });
    stream.end(JSON.stringify(outcome.payload));
  });
}
