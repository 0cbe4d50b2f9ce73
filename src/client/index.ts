export { RagClient, CLIENT_VERSION } from './rag-client.js';
export {
  RagError,
  RagApiError,
  RagConfigurationError,
  RagConnectionError,
  RagTimeoutError,
} from './errors.js';
export type { Connection } from './connection.js';
export type * from './types.js';
