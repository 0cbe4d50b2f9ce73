import { S3Client } from '@aws-sdk/client-s3';
import { DynamoRunCounters } from '../../src/adapters/dynamodb/run-counters.js';
import { dynamoClientForEndpoint } from '../../src/composition/dynamo-client.js';
import { lambdaServingServices } from '../../src/composition/lambda-services.js';
import { loadBatchJobConfig } from '../../src/config/jobs-config.js';
import type { BatchJobServices } from '../../src/jobs/batch-job.js';

/**
 * The batch-answers function's composition root: the invocations function's own (the cloud
 * adapters wired statically, every client built once, at init) for the pipeline, so a line is
 * answered exactly as a request is, plus S3 and the run counters.
 */
export async function batchServicesFromEnvironment(env: NodeJS.ProcessEnv): Promise<BatchJobServices> {
  const serving = await lambdaServingServices(env);
  const config = loadBatchJobConfig(env);
  return {
    config,
    pipeline: serving.pipeline,
    s3: new S3Client({}),
    lineTimeoutMs: serving.config.requestTimeoutMs,
    runs: new DynamoRunCounters({
      tableName: config.jobsTable,
      client: dynamoClientForEndpoint(serving.config.dynamodbEndpoint),
    }),
    logger: serving.logger,
  };
}
