/**
 * The clients both LangChain peers build at init, as a LangChain user wires them: one Bedrock
 * runtime client shared by the embeddings and the chat model (the guardrail attached to the model
 * call, as the product's RAG_GUARDRAIL_MODE=converse does), the DynamoDB client, and the Pinecone
 * vector store reading the passage field the product's ingestion writes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockEmbeddings, ChatBedrockConverse } from '@langchain/aws';
import { PineconeStore } from '@langchain/pinecone';
import { Pinecone } from '@pinecone-database/pinecone';
import { env, localCredentials, PINECONE_TEXT_KEY, region } from './wire.js';

export const dynamoConfig = {
  region,
  ...(env.DYNAMODB_ENDPOINT && { endpoint: env.DYNAMODB_ENDPOINT, credentials: localCredentials }),
};
export const dynamo = new DynamoDBClient(dynamoConfig);
const bedrock = new BedrockRuntimeClient({
  region,
  ...(env.BEDROCK_ENDPOINT && { endpoint: env.BEDROCK_ENDPOINT, credentials: localCredentials }),
});
const embeddings = new BedrockEmbeddings({
  client: bedrock,
  region,
  model: env.BEDROCK_EMBEDDING_MODEL_ID ?? 'amazon.titan-embed-text-v2:0',
});
export const model = new ChatBedrockConverse({
  client: bedrock,
  region,
  model: env.BEDROCK_GENERATION_MODEL_ID ?? 'anthropic.claude-3-5-haiku-20241022-v1:0',
  ...(env.BEDROCK_GUARDRAIL_ID && {
    guardrailConfig: {
      guardrailIdentifier: env.BEDROCK_GUARDRAIL_ID,
      guardrailVersion: env.BEDROCK_GUARDRAIL_VERSION ?? 'DRAFT',
      trace: 'enabled' as const,
    },
  }),
});
const pinecone = new Pinecone({ apiKey: env.PINECONE_API_KEY ?? 'unset' });
export const vectorStore = new PineconeStore(embeddings, {
  pineconeIndex: pinecone.Index(env.PINECONE_INDEX ?? 'rag', env.PINECONE_HOST),
  // The product's ingestion stores the passage under `chunk_text`; LangChain's default is `text`.
  textKey: PINECONE_TEXT_KEY,
  ...(env.PINECONE_NAMESPACE && { namespace: env.PINECONE_NAMESPACE }),
});
export const tableName = env.SESSION_TABLE_NAME ?? 'rag-sessions';
