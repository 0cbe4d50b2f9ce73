import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { handleIngestionEvent } from '../../src/jobs/ingestion-job.js';
import { ingestionServicesFromEnvironment } from './composition.js';

// Built at init: on Lambda the init phase runs with a CPU boost.
const services = ingestionServicesFromEnvironment(process.env);

/** S3 events (through SQS) and the reconcile run's steps (a batch of documents, the prune). */
export const handler = middy((event: unknown) => handleIngestionEvent(event, services))
  .use(injectLambdaContext(services.logger))
  .use(logMetrics(services.metrics.metrics));
