/**
 * The invocations handler as a LangChain.js user would write it: the same wire protocol, the same
 * DynamoDB session table and Powertools observability, with retrieval and generation done the
 * LangChain way (BedrockEmbeddings + PineconeStore, a `createAgent` whose dynamic system prompt
 * carries the retrieved context, as in LangChain's v1 "RAG chain" tutorial).
 *
 * It exists only so the cold-start benchmark can compare bundle size and init time against a
 * realistic alternative. It is bundled with the same esbuild options as the product's handler and
 * never enters the product's dependencies.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockEmbeddings, ChatBedrockConverse } from '@langchain/aws';
import { PineconeStore } from '@langchain/pinecone';
import { Pinecone } from '@pinecone-database/pinecone';
import { AIMessage, HumanMessage, createAgent, dynamicSystemPromptMiddleware } from 'langchain';
import { z } from 'zod';

declare const awslambda: {
  streamifyResponse(
    handler: (event: ProxyEvent, stream: Writable, context: unknown) => Promise<void>,
  ): unknown;
  HttpResponseStream: {
    from(stream: Writable, prelude: { statusCode: number; headers: Record<string, string> }): Writable;
  };
};

interface ProxyEvent {
  readonly body: string | null;
  readonly isBase64Encoded?: boolean;
  readonly pathParameters?: Record<string, string> | null;
  readonly requestContext?: { readonly authorizer?: Record<string, string> | null };
}

const env = process.env;
const region = env.AWS_REGION ?? 'us-east-1';
const endpointName = env.RAG_ENDPOINT_NAME ?? 'rag';
const tableName = env.SESSION_TABLE_NAME ?? 'rag-sessions';
const ttlDays = Number(env.SESSION_TTL_DAYS ?? 30);

const logger = new Logger({ serviceName: 'rag-serving' });
const metrics = new Metrics({ namespace: 'RagServing', serviceName: 'rag-serving' });
// An endpoint override points at a local stand-in, which gets dummy credentials (as the product does).
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const dynamo = new DynamoDBClient({
  region,
  ...(env.DYNAMODB_ENDPOINT && { endpoint: env.DYNAMODB_ENDPOINT, credentials: localCredentials }),
});
const bedrock = new BedrockRuntimeClient({
  region,
  ...(env.BEDROCK_ENDPOINT && { endpoint: env.BEDROCK_ENDPOINT, credentials: localCredentials }),
});
const embeddings = new BedrockEmbeddings({
  client: bedrock,
  region,
  model: env.BEDROCK_EMBEDDING_MODEL_ID ?? 'amazon.titan-embed-text-v2:0',
});
const model = new ChatBedrockConverse({
  client: bedrock,
  region,
  model: env.BEDROCK_GENERATION_MODEL_ID ?? 'anthropic.claude-3-5-haiku-20241022-v1:0',
  // The guardrail attached to the model call, as the product's RAG_GUARDRAIL_MODE=converse does.
  ...(env.BEDROCK_GUARDRAIL_ID && {
    guardrailConfig: {
      guardrailIdentifier: env.BEDROCK_GUARDRAIL_ID,
      guardrailVersion: env.BEDROCK_GUARDRAIL_VERSION ?? 'DRAFT',
      trace: 'enabled' as const,
    },
  }),
});
const pinecone = new Pinecone({ apiKey: env.PINECONE_API_KEY ?? 'unset' });
const vectorStore = new PineconeStore(embeddings, {
  pineconeIndex: pinecone.Index(env.PINECONE_INDEX ?? 'rag', env.PINECONE_HOST),
  ...(env.PINECONE_NAMESPACE && { namespace: env.PINECONE_NAMESPACE }),
});

// ---------------------------------------------------------------------------------------------
// Wire protocol (Databricks Model Serving)

const record = z.object({
  query: z.string().min(1).max(10_000),
  session_id: z
    .string()
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/)
    .optional(),
});
const params = z
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
type InputRecord = z.infer<typeof record>;

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

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Sessions: the same table layout as the product (one item per turn, TTL)

interface StoredTurn {
  readonly query: string;
  readonly response: string;
}

async function claim(sessionId: string, principal: string): Promise<void> {
  try {
    await dynamo.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: `SESSION#${sessionId}` }, sk: { S: 'META' }, owner: { S: principal } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const { Item } = await dynamo.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `SESSION#${sessionId}` }, sk: { S: 'META' } },
      }),
    );
    if (Item?.owner?.S !== principal) throw new HttpError(403, 'PERMISSION_DENIED', 'Not your session.');
  }
}

async function recentTurns(sessionId: string): Promise<StoredTurn[]> {
  const { Items = [] } = await dynamo.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :turn)',
      ExpressionAttributeValues: { ':pk': { S: `SESSION#${sessionId}` }, ':turn': { S: 'TURN#' } },
      ScanIndexForward: false,
      Limit: 6,
    }),
  );
  const now = Date.now() / 1000;
  return Items.filter((item) => Number(item.expires_at?.N ?? Infinity) > now)
    .map((item) => ({ query: item.query?.S ?? '', response: item.response?.S ?? '' }))
    .reverse();
}

async function storeTurn(sessionId: string, turn: StoredTurn): Promise<void> {
  const now = Date.now();
  await dynamo.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        pk: { S: `SESSION#${sessionId}` },
        sk: { S: `TURN#${String(now).padStart(13, '0')}#${randomUUID()}` },
        query: { S: turn.query },
        response: { S: turn.response },
        expires_at: { N: String(Math.floor(now / 1000) + ttlDays * 86_400) },
      },
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// RAG with LangChain

async function answer(item: InputRecord, parsedParams: z.infer<typeof params>, principal: string) {
  const sessionId = item.session_id ?? randomUUID();
  const [, history] = await Promise.all([
    claim(sessionId, principal),
    item.session_id ? recentTurns(sessionId) : Promise.resolve([]),
  ]);
  const messages = history.flatMap((turn) => [new HumanMessage(turn.query), new AIMessage(turn.response)]);
  let question = item.query;
  if (history.length > 0) {
    const condensed = await model.invoke([
      ...messages,
      new HumanMessage(
        `Rewrite this follow-up as a standalone question, answer with the question only: ${item.query}`,
      ),
    ]);
    question = String(condensed.content);
  }
  const retrieved = await vectorStore.similaritySearchWithScore(
    question,
    parsedParams.top_k,
    parsedParams.filter,
  );
  const agent = createAgent({
    model,
    tools: [],
    middleware: [
      dynamicSystemPromptMiddleware(
        () =>
          'Answer from the numbered context and cite it as [n].\n\n' +
          retrieved.map(([doc], i) => `[${i + 1}] ${doc.pageContent}`).join('\n\n'),
      ),
    ],
  });
  const result = await agent.invoke({ messages: [...messages, new HumanMessage(item.query)] });
  const last = result.messages.at(-1) as AIMessage;
  const response = typeof last.content === 'string' ? last.content : JSON.stringify(last.content);
  await storeTurn(sessionId, { query: item.query, response });
  metrics.addMetric('RetrievalHits', MetricUnit.Count, retrieved.length);
  return {
    response,
    session_id: sessionId,
    sources: retrieved.map(([doc, score]) => ({
      id: String(doc.id ?? ''),
      source: String(doc.metadata.location ?? ''),
      score,
      text: doc.pageContent,
    })),
    usage: {
      input_tokens: last.usage_metadata?.input_tokens ?? 0,
      output_tokens: last.usage_metadata?.output_tokens ?? 0,
    },
    guardrail: { action: 'NONE' },
  };
}

async function invoke(event: ProxyEvent): Promise<{ status: number; payload: unknown }> {
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
  return { status: 200, payload: { predictions } };
}

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const started = performance.now();
  let outcome: { status: number; payload: unknown };
  try {
    outcome = await invoke(event);
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
