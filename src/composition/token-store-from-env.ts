import { join } from 'node:path';
import { FileTokenStore } from '../auth/file-token-store.js';
import type { TokenStore } from '../auth/token-store.js';
import { EnvVar } from '../shared/env.js';

/** Where tokens live: a file under the data directory locally (a DynamoDB table arrives with the security issue). */
export function tokenStoreFromEnvironment(env: NodeJS.ProcessEnv): TokenStore {
  return new FileTokenStore(join(env[EnvVar.dataDir] ?? '.rag', 'tokens.json'));
}
