import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { handleBatchEvent } from '../../src/jobs/batch-job.js';
import { batchServicesFromEnvironment } from './composition.js';

// Built at init: on Lambda the init phase runs with a CPU boost.
const services = await batchServicesFromEnvironment(process.env);

/** One step of a batch-answers run: plan the file, answer a range of lines, combine the parts. */
export const handler = middy((event: unknown) => handleBatchEvent(event, services)).use(
  injectLambdaContext(services.logger),
);
