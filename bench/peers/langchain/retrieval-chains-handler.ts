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
import { createStuffDocumentsChain } from '@langchain/classic/chains/combine_documents';
import { createHistoryAwareRetriever } from '@langchain/classic/chains/history_aware_retriever';
import { createRetrievalChain } from '@langchain/classic/chains/retrieval';
import { DynamoDBChatMessageHistory } from '@langchain/community/stores/message/dynamodb';
import { AIMessage, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { ChatPromptTemplate, MessagesPlaceholder } from '@langchain/core/prompts';
import { RunnableLambda } from '@langchain/core/runnables';
import { dynamo, dynamoConfig, model, tableName, vectorStore } from './shared/clients.js';
import { claimSession } from './shared/session-owner.js';
import {
  PINECONE_LOCATION_KEY,
  servingHandler,
  type InputRecord,
  type Params,
  type Prediction,
} from './shared/wire.js';

const HISTORY_MESSAGES = 12;

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
