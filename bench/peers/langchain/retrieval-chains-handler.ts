/**
 * The invocations handler as a LangChain.js user would write it with LangChain's retrieval chains,
 * the leanest idiomatic LangChain RAG: `createHistoryAwareRetriever` (condenses a follow-up with
 * the chat history), `createStuffDocumentsChain` and `createRetrievalChain` from
 * `@langchain/classic`, BedrockEmbeddings + ChatBedrockConverse from `@langchain/aws`,
 * PineconeStore from `@langchain/pinecone`, and the DynamoDB chat history from
 * `@langchain/community` for the conversation. The main peer of the cold-start benchmark.
 *
 * It exists only for that comparison: bundled with the same esbuild options as the product's
 * handler, never a dependency of the product.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockEmbeddings, ChatBedrockConverse } from '@langchain/aws';
import { createStuffDocumentsChain } from '@langchain/classic/chains/combine_documents';
import { createHistoryAwareRetriever } from '@langchain/classic/chains/history_aware_retriever';
import { createRetrievalChain } from '@langchain/classic/chains/retrieval';
import { DynamoDBChatMessageHistory } from '@langchain/community/stores/message/dynamodb';
import { AIMessage, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { ChatPromptTemplate, MessagesPlaceholder } from '@langchain/core/prompts';
import { RunnableLambda } from '@langchain/core/runnables';
import { PineconeStore } from '@langchain/pinecone';
import { Pinecone } from '@pinecone-database/pinecone';
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
const HISTORY_MESSAGES = 12;

const dynamoConfig = {
  region,
  ...(env.DYNAMODB_ENDPOINT && { endpoint: env.DYNAMODB_ENDPOINT, credentials: localCredentials }),
};
const dynamo = new DynamoDBClient(dynamoConfig);
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

const rephrasePrompt = ChatPromptTemplate.fromMessages([
  [
    'system',
    "Rewrite the user's follow-up question as one standalone question for searching documentation. " +
      'Reply with the question only.',
  ],
  new MessagesPlaceholder('chat_history'),
  ['human', '{input}'],
]);
const answerPrompt = ChatPromptTemplate.fromMessages([
  [
    'system',
    'You answer questions using only the context passages below, numbered in order from [1]. ' +
      'Cite every passage you use by its number in square brackets.\n\nContext passages:\n{context}',
  ],
  new MessagesPlaceholder('chat_history'),
  ['human', '{input}'],
]);
const answerChain = await createStuffDocumentsChain({ llm: model, prompt: answerPrompt });

/**
 * The retrieval chain for one request's `top_k`, metadata filter and chat history.
 * `createRetrievalChain` in @langchain/classic 1.x hands every retriever `input.input` alone (its
 * `isBaseRetriever` is true for any Runnable), so the history-aware retriever gets the history
 * from this closure instead of from the chain's input.
 */
async function ragChain(parsedParams: Params, chatHistory: BaseMessage[]) {
  const retriever = vectorStore.asRetriever({
    k: parsedParams.top_k,
    ...(parsedParams.filter && { filter: parsedParams.filter }),
  });
  const historyAware = await createHistoryAwareRetriever({ llm: model, retriever, rephrasePrompt });
  const withHistory = RunnableLambda.from((input: string) =>
    historyAware.invoke({ input, chat_history: chatHistory }),
  );
  return createRetrievalChain({ retriever: withHistory, combineDocsChain: answerChain });
}

async function answer(item: InputRecord, parsedParams: Params, principal: string): Promise<Prediction> {
  const sessionId = item.session_id ?? randomUUID();
  const history = new DynamoDBChatMessageHistory({
    tableName,
    sessionId,
    // The product's table: the whole conversation in one item of the session's partition.
    key: { pk: { S: `SESSION#${sessionId}` }, sk: { S: 'HISTORY' } },
    config: dynamoConfig,
  });
  const [, messages] = await Promise.all([
    claimSession(dynamo, tableName, sessionId, principal),
    item.session_id ? history.getMessages() : Promise.resolve([]),
  ]);
  const chatHistory = messages.slice(-HISTORY_MESSAGES);
  const chain = await ragChain(parsedParams, chatHistory);
  const result = await chain.invoke({ input: item.query, chat_history: chatHistory });
  await history.addMessages([new HumanMessage(item.query), new AIMessage(result.answer)]);
  return {
    response: result.answer,
    session_id: sessionId,
    sources: result.context.map((doc) => ({
      id: String(doc.id ?? ''),
      source: String(doc.metadata[PINECONE_LOCATION_KEY] ?? ''),
      score: 0,
      text: doc.pageContent,
    })),
    usage: { input_tokens: 0, output_tokens: 0 },
    guardrail: { action: 'NONE' },
  };
}

export const handler = servingHandler(answer);
