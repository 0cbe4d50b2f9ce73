import { join } from 'node:path';
import { FileTokenStore } from '../auth/file-token-store.js';
import type { TokenStore } from '../auth/token-store.js';
import { DynamoTokenStore } from '../adapters/dynamodb/token-store.js';
import { loadSecurityConfig } from '../config/security-config.js';
import { ConfigurationError } from '../config/serving-config.js';
import { EnvVar } from '../shared/env.js';
import { dynamoClientForEndpoint } from './dynamo-client.js';

/**
 * Where tokens live: the DynamoDB table named by `TOKEN_TABLE_NAME` (AWS, or any endpoint given by
 * `DYNAMODB_ENDPOINT`), otherwise a file under the data directory. Locally the file it is: the
 * token CLI must work while the server runs, and the embedded DynamoDB allows one process only.
 */
export function tokenStoreFromEnvironment(env: NodeJS.ProcessEnv): TokenStore {
  const { tokenTable } = loadSecurityConfig(env);
  if (tokenTable !== undefined) {
    return new DynamoTokenStore({
      tableName: tokenTable,
      client: dynamoClientForEndpoint(env[EnvVar.dynamodbEndpoint]),
    });
  }
  // In a Lambda the file would be empty and read-only: every token would fail, silently.
  if (env.AWS_LAMBDA_FUNCTION_NAME !== undefined) {
    throw new ConfigurationError(
      `${EnvVar.tokenTable} must be set in a Lambda function: the token file exists only for local runs.`,
    );
  }
  return new FileTokenStore(join(env[EnvVar.dataDir] ?? '.rag', 'tokens.json'));
}
