import { describe, expect, it } from 'vitest';
import { lambdaServingServices } from '../../src/composition/lambda-services.js';
import { loadSecurityConfig } from '../../src/config/security-config.js';
import { loadServingConfig } from '../../src/config/serving-config.js';
import { localServingServices } from '../../src/local/local-services.js';
import { dynamoClientForEndpoint } from '../../src/composition/dynamo-client.js';

/** A deployed stage's environment, as the construct sets it (no call reaches AWS before the checks). */
const deployed = {
  RAG_BACKEND: 'aws',
  AWS_REGION: 'us-east-1',
  BEDROCK_GENERATION_MODEL_ID: 'us.amazon.nova-pro-v1:0',
  BEDROCK_GUARDRAIL_ID: 'gr1',
  BEDROCK_GUARDRAIL_VERSION: '3',
  PINECONE_HOST: 'rag-dev-abc123.svc.aped-4627-b74a.pinecone.io',
  PINECONE_API_KEY_SECRET_ID: 'rag/dev/pinecone',
};

describe('Composition root: the Lambda', () => {
  it.each([
    ['RAG_GENERATOR', 'extractive'],
    ['RAG_INDEX', 'local'],
    ['RAG_EMBEDDER', 'local'],
    ['RAG_GUARDRAIL', 'rules'],
  ])('refuses %s=%s, which only the local server wires, naming the variable', async (variable, value) => {
    // Act
    const start = lambdaServingServices({ ...deployed, [variable]: value });

    // Assess
    await expect(start).rejects.toThrow(
      `${variable}=${value} is not available in the Lambda function, which wires only the cloud adapters`,
    );
  });
});

describe('Composition root: the local server', () => {
  it('refuses the Bedrock embedder with the local index, whose vectors are the local embedder’s', async () => {
    // Prepare
    const environment = { RAG_EMBEDDER: 'bedrock', RAG_INDEX: 'local', RAG_DATA_DIR: '/nonexistent' };
    const dynamo = dynamoClientForEndpoint('http://127.0.0.1:9');

    // Act
    const start = localServingServices({
      config: loadServingConfig(environment),
      security: loadSecurityConfig(environment),
      dynamo,
    });

    // Assess
    await expect(start).rejects.toThrow('RAG_EMBEDDER=bedrock needs RAG_INDEX=pinecone');
    dynamo.destroy();
  });
});
