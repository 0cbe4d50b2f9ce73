import { describe, expect, it } from 'vitest';
import { loadSecurityConfig } from '../../src/config/security-config.js';
import { ConfigurationError } from '../../src/config/serving-config.js';
import { pageRequestOf } from '../../src/http/pagination.js';
import { InvalidParameterError } from '../../src/core/errors.js';
import { tokenStoreFromEnvironment } from '../../src/composition/token-store-from-env.js';
import { DynamoTokenStore } from '../../src/adapters/dynamodb/token-store.js';
import { FileTokenStore } from '../../src/auth/file-token-store.js';

describe('Function: loadSecurityConfig', () => {
  it('defaults to no quotas, a 30 s authorizer cache and no prompt logging', () => {
    // Act
    const config = loadSecurityConfig({});

    // Assess
    expect(config).toEqual({
      usageTable: 'rag-usage',
      quotaRpm: 0,
      quotaTpm: 0,
      quotaWindowSeconds: 60,
      authCacheSeconds: 30,
      logPrompts: false,
    });
  });

  it('reads every variable', () => {
    // Act
    const config = loadSecurityConfig({
      TOKEN_TABLE_NAME: 'rag-tokens-prod',
      USAGE_TABLE_NAME: 'rag-usage-prod',
      RAG_QUOTA_RPM: '600',
      RAG_QUOTA_TPM: '200000',
      RAG_AUTH_CACHE_SECONDS: '0',
      RAG_LOG_PROMPTS: 'true',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });

    // Assess
    expect(config).toMatchObject({
      tokenTable: 'rag-tokens-prod',
      usageTable: 'rag-usage-prod',
      quotaRpm: 600,
      quotaTpm: 200_000,
      authCacheSeconds: 0,
      logPrompts: true,
      logLevel: 'DEBUG',
    });
  });

  it.each([
    ['RAG_QUOTA_RPM', '-1'],
    ['RAG_QUOTA_TPM', '1.5'],
    ['RAG_QUOTA_WINDOW_SECONDS', '0'],
    ['RAG_LOG_PROMPTS', 'yes'],
    ['TOKEN_TABLE_NAME', 'a'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    // Act
    const load = () => loadSecurityConfig({ [name]: value });

    // Assess
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(`Invalid ${name}=`);
  });
});

describe('Function: pageRequestOf', () => {
  it('defaults the page size and passes a page token on', () => {
    // Act
    const first = pageRequestOf({ queryStringParameters: null });
    const next = pageRequestOf({ queryStringParameters: { page_size: '100', page_token: 'abc' } });

    // Assess
    expect(first).toEqual({ pageSize: 20 });
    expect(next).toEqual({ pageSize: 100, pageToken: 'abc' });
  });

  it.each(['0', '101', '1.5', 'ten', '-3', ''])('refuses page_size=%j', (pageSize) => {
    // Act
    const parse = () => pageRequestOf({ queryStringParameters: { page_size: pageSize } });

    // Assess
    expect(parse).toThrow(InvalidParameterError);
  });
});

describe('Function: tokenStoreFromEnvironment', () => {
  it('uses the DynamoDB table when one is named, the local file otherwise', () => {
    // Act
    const table = tokenStoreFromEnvironment({
      TOKEN_TABLE_NAME: 'rag-tokens',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:1',
    });
    const file = tokenStoreFromEnvironment({ RAG_DATA_DIR: '/tmp/x' });

    // Assess
    expect(table).toBeInstanceOf(DynamoTokenStore);
    expect(file).toBeInstanceOf(FileTokenStore);
  });

  it('refuses to start a Lambda without a token table', () => {
    // Act
    const build = () => tokenStoreFromEnvironment({ AWS_LAMBDA_FUNCTION_NAME: 'rag-authorizer' });

    // Assess
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow('TOKEN_TABLE_NAME must be set');
  });
});
