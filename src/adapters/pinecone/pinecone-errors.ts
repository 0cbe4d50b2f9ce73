import { BackendMisconfiguredError, BackendUnavailableError } from '../../core/errors.js';
import { errorName } from '../aws/aws-errors.js';
import { PineconeHttpError } from './pinecone-http.js';

/** What the failed call was against, so that the message can name it. */
export interface PineconeTarget {
  /** The index host, or its name when the host is looked up. */
  readonly index: string;
}

const PREFLIGHT = 'Run `npm run preflight -- --stage <stage>` to check the whole stage.';

/**
 * The Pinecone SDK's errors that no retry gets past, by class name (the SDK maps each HTTP status
 * to one class), with the likely fix. 403 arrives as PineconeBadRequestError: the SDK maps it so.
 */
const MISCONFIGURED: Readonly<Record<string, (target: PineconeTarget) => string>> = {
  PineconeAuthorizationError: () =>
    'it refused the API key (401): store the current key of the project that owns the index in the ' +
    `Pinecone key secret (bare, or as {"apiKey": "..."}). ${PREFLIGHT}`,
  PineconeBadRequestError: ({ index }) =>
    `index '${index}' refused the request (400 or 403): its dimension must match the embedding model's ` +
    `(Titan Text Embeddings v2: 1024 by default, metric cosine), and the API key must belong to its project. ${PREFLIGHT}`,
  PineconeNotFoundError: ({ index }) =>
    `index '${index}' was not found (404): check pinecone.indexName and pinecone.host of the stage, and that the ` +
    `index exists in the API key's project. ${PREFLIGHT}`,
  PineconeUnprocessableEntityError: ({ index }) =>
    `index '${index}' could not process the request (422): check that its dimension and metric match the ` +
    `embedding model. ${PREFLIGHT}`,
  PineconeMethodNotAllowedError: ({ index }) =>
    `index '${index}' does not support this operation (405): it must be a dense serverless or pod index. ${PREFLIGHT}`,
  PineconeConfigurationError: () =>
    `the client configuration was refused: check pinecone.host (no scheme) and the key. ${PREFLIGHT}`,
};

/** The SDK's class for each status our own REST call (the serving path's query) may answer with. */
const SDK_CLASS_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'PineconeBadRequestError',
  401: 'PineconeAuthorizationError',
  403: 'PineconeBadRequestError',
  404: 'PineconeNotFoundError',
  405: 'PineconeMethodNotAllowedError',
  422: 'PineconeUnprocessableEntityError',
};

/**
 * The error to throw for a failed Pinecone call, from the SDK (ingestion) or our REST call
 * (queries): a 401, 403, 404 or other refusal is a misconfiguration (500 naming the index and the
 * fix); 5xx, 429 past our retries and connection failures are an outage (503 with Retry-After).
 * Errors already classified pass through.
 */
export function pineconeFailure(error: unknown, target: PineconeTarget): Error {
  if (error instanceof BackendUnavailableError || error instanceof BackendMisconfiguredError) return error;
  const name =
    error instanceof PineconeHttpError ? (SDK_CLASS_BY_STATUS[error.status] ?? '') : errorName(error);
  const fix = MISCONFIGURED[name];
  if (fix) return new BackendMisconfiguredError('Pinecone', fix(target), { cause: error });
  return new BackendUnavailableError('Pinecone', { cause: error });
}
