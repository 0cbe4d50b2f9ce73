/**
 * The invocations handler as a LangChain.js user would write it with a LangChain v1 agent (and so
 * langgraph): BedrockEmbeddings + PineconeStore for retrieval, a `createAgent` whose dynamic system
 * prompt carries the retrieved context (LangChain's v1 "RAG chain" tutorial), the product's
 * session table for history. The heavier of the two LangChain peers.
 *
 * It exists only so the cold-start benchmark can compare bundle size and init time against a
 * realistic alternative. It is bundled with the same esbuild options as the product's handler and
 * never enters the product's dependencies.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockEmbeddings, ChatBedrockConverse } from '@langchain/aws';
import { PineconeStore } from '@langchain/pinecone';
import { Pinecone } from '@pinecone-database/pinecone';
import { AIMessage, HumanMessage, createAgent, dynamicSystemPromptMiddleware } from 'langchain';
import { claimSession } from './shared/session-owner.js';
import {
  env,
  localCredentials,
  PINECONE_LOCATION_KEY,
  PINECONE_TEXT_KEY,
  region,
  servingHandler,
  type InputRecord,
  type Params,
  type Prediction,
} from './shared/wire.js';

const tableName = env.SESSION_TABLE_NAME ?? 'rag-sessions';
const ttlDays = Number(env.SESSION_TTL_DAYS ?? 30);

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
  // The product's ingestion stores the passage under `chunk_text`; LangChain's default is `text`.
  textKey: PINECONE_TEXT_KEY,
  ...(env.PINECONE_NAMESPACE && { namespace: env.PINECONE_NAMESPACE }),
});

// Sessions: the same table layout as the product (one item per turn, TTL)

interface StoredTurn {
  readonly query: string;
  readonly response: string;
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

// RAG with a LangChain agent

async function answer(item: InputRecord, parsedParams: Params, principal: string): Promise<Prediction> {
  const sessionId = item.session_id ?? randomUUID();
  const [, history] = await Promise.all([
    claimSession(dynamo, tableName, sessionId, principal),
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
  return {
    response,
    session_id: sessionId,
    sources: retrieved.map(([doc, score]) => ({
      id: String(doc.id ?? ''),
      source: String(doc.metadata[PINECONE_LOCATION_KEY] ?? ''),
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

export const handler = servingHandler(answer);
