import { join } from 'node:path';
import { FileTokenStore } from '../auth/file-token-store.js';
import type { TokenStore } from '../auth/token-store.js';
import { DynamoTokenStore } from '../adapters/dynamodb/token-store.js';
import { loadSecurityConfig } from '../config/security-config.js';
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
  return new FileTokenStore(join(env[EnvVar.dataDir] ?? '.rag', 'tokens.json'));
}
