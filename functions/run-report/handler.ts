import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { reportRun } from '../../src/jobs/run-report.js';
import { runReportServicesFromEnvironment } from './composition.js';

// Built at init: on Lambda the init phase runs with a CPU boost.
const services = runReportServicesFromEnvironment(process.env);

/** The last step of every job run: metrics, one log line and the notification, on success and failure. */
export const handler = middy((event: unknown) => reportRun(event, services))
  .use(injectLambdaContext(services.logger))
  .use(logMetrics(services.metrics));
