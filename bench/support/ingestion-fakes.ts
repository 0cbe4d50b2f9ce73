/**
 * The cloud ingestion target's backends as wire-level fakes, in a process of their own so that
 * their memory (the fake Pinecone keeps every vector) never counts as the ingestion's: the h2c fake
 * Bedrock, the fake Pinecone (data and control plane) and dynalite with the jobs table.
 * Prints `BENCH_READY {endpoints}`.
 */
import { ensureJobsTable } from '../../src/adapters/dynamodb/jobs-table.js';
import { startEmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import { startFakeBedrock } from '../../test/fakes/fake-bedrock.js';
import { startFakePinecone } from '../../test/fakes/fake-pinecone.js';
import { isMain } from './script.js';

export const BENCH_JOBS_TABLE = 'rag-jobs-bench';
export const BENCH_PINECONE_INDEX = 'rag-bench';

export interface IngestionFakes {
  readonly bedrock: string;
  readonly pinecone: string;
  readonly pineconeKey: string;
  readonly dynamo: string;
}

if (isMain(import.meta.url)) {
  const [bedrock, pinecone, dynamo] = await Promise.all([
    startFakeBedrock(),
    startFakePinecone({ dimension: 1024, indexName: BENCH_PINECONE_INDEX }),
    startEmbeddedDynamo(),
  ]);
  await ensureJobsTable(dynamo.client, BENCH_JOBS_TABLE);
  const ready: IngestionFakes = {
    bedrock: bedrock.endpoint,
    pinecone: pinecone.host,
    pineconeKey: pinecone.apiKey,
    dynamo: dynamo.endpoint,
  };
  process.stdout.write(`BENCH_READY ${JSON.stringify(ready)}\n`);
  const stop = () =>
    void Promise.all([bedrock.close(), pinecone.close(), dynamo.close()]).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
