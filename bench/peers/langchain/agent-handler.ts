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
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { AIMessage, HumanMessage, createAgent, dynamicSystemPromptMiddleware } from 'langchain';
import { dynamo, model, tableName, vectorStore } from './shared/clients.js';
import { claimSession } from './shared/session-owner.js';
import {
  env,
  PINECONE_LOCATION_KEY,
  servingHandler,
  type InputRecord,
  type Params,
  type Prediction,
} from './shared/wire.js';

const ttlDays = Number(env.SESSION_TTL_DAYS ?? 30);

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
