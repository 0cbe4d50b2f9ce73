import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadServingConfig } from '../../src/config/serving-config.js';

const fakes = {
  RAG_BACKEND: 'fakes',
  BEDROCK_ENDPOINT: 'http://127.0.0.1:4010',
  BEDROCK_GENERATION_MODEL_ID: 'amazon.nova-lite-v1:0',
  BEDROCK_GUARDRAIL_ID: 'gr-1',
  BEDROCK_GUARDRAIL_VERSION: '3',
  PINECONE_HOST: 'http://127.0.0.1:5081',
  PINECONE_API_KEY: 'pc-test-key',
};
const aws = {
  RAG_BACKEND: 'aws',
  BEDROCK_GENERATION_MODEL_ID: 'us.amazon.nova-pro-v1:0',
  BEDROCK_GUARDRAIL_ID: 'gr-1',
  BEDROCK_GUARDRAIL_VERSION: '3',
  PINECONE_HOST: 'rag-dev-abc123.svc.aped-4627-b74a.pinecone.io',
  PINECONE_API_KEY_SECRET_ID: 'rag/dev/pinecone',
};

const failure = (env: NodeJS.ProcessEnv): Error => {
  try {
    loadServingConfig(env);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the configuration to be refused');
};

describe('loadServingConfig: backends', () => {
  it('serves every port locally by default', () => {
    // Act
    const { backends } = loadServingConfig({});
    // Assess
    expect(backends.embedder).toEqual({ kind: 'local' });
    expect(backends.index).toEqual({ kind: 'local' });
    expect(backends.generator).toEqual({ kind: 'extractive' });
    expect(backends.guardrail).toEqual({ kind: 'rules' });
  });

  it('picks Bedrock and Pinecone for a deployed stage, the key read from Secrets Manager', () => {
    // Act
    const { backends } = loadServingConfig({ ...aws, PINECONE_NAMESPACE: 'tenant-a' });
    // Assess
    expect(backends.embedder).toEqual({ kind: 'bedrock', modelId: 'amazon.titan-embed-text-v2:0' });
    expect(backends.index).toEqual({
      kind: 'pinecone',
      host: aws.PINECONE_HOST,
      namespace: 'tenant-a',
      apiKey: { secretId: 'rag/dev/pinecone' },
    });
    expect(backends.generator).toEqual({ kind: 'bedrock', modelId: 'us.amazon.nova-pro-v1:0' });
    expect(backends.guardrail).toEqual({ kind: 'bedrock', guardrailId: 'gr-1', guardrailVersion: '3' });
  });

  it('switches ports one at a time', () => {
    // Act
    const { backends } = loadServingConfig({
      RAG_GENERATOR: 'bedrock',
      BEDROCK_GENERATION_MODEL_ID: 'amazon.nova-lite-v1:0',
      RAG_GUARDRAIL: 'none',
    });
    // Assess
    expect(backends.index).toEqual({ kind: 'local' });
    expect(backends.generator.kind).toBe('bedrock');
    expect(backends.guardrail).toEqual({ kind: 'none' });
  });

  it('attaches the guardrail to Converse instead of separate calls in converse mode', () => {
    // Act
    const { backends } = loadServingConfig({ ...aws, RAG_GUARDRAIL_MODE: 'converse' });
    // Assess
    expect(backends.guardrail).toEqual({ kind: 'none' });
    expect(backends.generator).toMatchObject({ guardrail: { guardrailId: 'gr-1', guardrailVersion: '3' } });
  });

  it('accepts a plain Pinecone key only against local fakes', () => {
    // Act
    const { backends } = loadServingConfig(fakes);
    const deployed = failure({ ...aws, PINECONE_API_KEY: 'pc-live-key' });
    const remote = failure({ ...fakes, PINECONE_HOST: 'rag-dev-abc123.svc.pinecone.io' });
    // Assess
    expect(backends.index).toMatchObject({ apiKey: { plain: 'pc-test-key' } });
    expect(deployed).toBeInstanceOf(ConfigurationError);
    expect(deployed.message).toMatch(/PINECONE_API_KEY is accepted only with RAG_BACKEND=fakes/);
    expect(deployed.message).toMatch(/PINECONE_API_KEY_SECRET_ID/);
    expect(deployed.message).not.toContain('pc-live-key');
    expect(remote.message).toMatch(/^Invalid PINECONE_HOST=/);
  });

  it('names the missing variable of a selected backend', () => {
    // Act
    const messages = [
      failure({ ...aws, BEDROCK_GENERATION_MODEL_ID: undefined }).message,
      failure({ ...aws, PINECONE_API_KEY_SECRET_ID: undefined }).message,
      failure({ ...aws, PINECONE_HOST: undefined }).message,
      failure({ ...aws, BEDROCK_GUARDRAIL_VERSION: undefined }).message,
    ];
    // Assess
    expect(messages).toEqual([
      expect.stringMatching(/^BEDROCK_GENERATION_MODEL_ID is required when RAG_GENERATOR=bedrock/),
      expect.stringMatching(/^PINECONE_API_KEY_SECRET_ID is required when RAG_INDEX=pinecone/),
      expect.stringMatching(/^PINECONE_HOST \(or PINECONE_INDEX\) is required/),
      expect.stringMatching(/^BEDROCK_GUARDRAIL_VERSION is required when RAG_GUARDRAIL=bedrock/),
    ]);
  });

  it('refuses bad values with a message naming the variable', () => {
    // Act
    const messages = [
      failure({ RAG_BACKEND: 'cloud' }).message,
      failure({ RAG_INDEX: 'faiss' }).message,
      failure({ ...aws, BEDROCK_GUARDRAIL_VERSION: 'latest' }).message,
      failure({ ...aws, BEDROCK_EMBEDDING_DIMENSIONS: '-5' }).message,
      failure({ ...fakes, BEDROCK_ENDPOINT: 'not a url' }).message,
      failure({
        RAG_GUARDRAIL: 'bedrock',
        RAG_GUARDRAIL_MODE: 'converse',
        BEDROCK_GUARDRAIL_ID: 'g',
        BEDROCK_GUARDRAIL_VERSION: '1',
      }).message,
    ];
    // Assess
    expect(messages).toEqual([
      'Invalid RAG_BACKEND="cloud": must be one of: local, aws, fakes.',
      'Invalid RAG_INDEX="faiss": must be one of: local, pinecone.',
      'Invalid BEDROCK_GUARDRAIL_VERSION="latest": must be DRAFT or a version number.',
      'Invalid BEDROCK_EMBEDDING_DIMENSIONS="-5": must be a positive integer.',
      'Invalid BEDROCK_ENDPOINT="not a url": must be a URL such as http://127.0.0.1:4010.',
      expect.stringMatching(
        /^Invalid RAG_GUARDRAIL_MODE="converse": a guardrail can be attached only to the Bedrock generator/,
      ),
    ]);
  });

  it('never repeats a secret value in an error', () => {
    // Act
    const message = failure({ ...fakes, PINECONE_API_KEY: '' }).message;
    // Assess
    expect(message).toBe('Invalid PINECONE_API_KEY="(redacted)": must not be empty.');
  });

  it('picks an OpenAI-compatible model server for either port, and names what is missing', () => {
    // Act
    const config = loadServingConfig({
      RAG_GENERATOR: 'openai-compatible',
      RAG_EMBEDDER: 'openai-compatible',
      RAG_OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      RAG_OPENAI_MODEL: 'llama3.2',
      RAG_OPENAI_EMBEDDING_MODEL: 'nomic-embed-text',
    });
    const missing = [
      failure({ RAG_GENERATOR: 'openai-compatible', RAG_OPENAI_MODEL: 'llama3.2' }).message,
      failure({ RAG_EMBEDDER: 'openai-compatible', RAG_OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' })
        .message,
      failure({
        RAG_GENERATOR: 'openai-compatible',
        RAG_OPENAI_BASE_URL: 'http://x/v1',
        RAG_OPENAI_MODEL: 'm',
        RAG_OPENAI_API_KEY: '',
      }).message,
    ];
    // Assess
    expect(config.backends.generator).toEqual({
      kind: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:11434/v1',
      model: 'llama3.2',
    });
    expect(config.backends.embedder).toEqual({
      kind: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:11434/v1',
      model: 'nomic-embed-text',
    });
    expect(missing).toEqual([
      'RAG_OPENAI_BASE_URL is required when RAG_GENERATOR=openai-compatible.',
      'RAG_OPENAI_EMBEDDING_MODEL is required when RAG_EMBEDDER=openai-compatible.',
      'Invalid RAG_OPENAI_API_KEY="(redacted)": must not be empty.',
    ]);
  });
});
