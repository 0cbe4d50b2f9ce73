import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoRunCounters } from '../../src/adapters/dynamodb/run-counters.js';
import { loadRunReportConfig } from '../../src/config/jobs-config.js';
import type { RunReportServices } from '../../src/jobs/run-report.js';
import { createServiceLogger } from '../../src/observability/logger.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../src/shared/metrics.js';

/** The run report's composition root: the jobs table and the jobs topic, clients built once. */
export function runReportServicesFromEnvironment(env: NodeJS.ProcessEnv): RunReportServices {
  const config = loadRunReportConfig(env);
  const sns = new SNSClient({});
  return {
    stage: config.stage,
    runs: new DynamoRunCounters({ tableName: config.jobsTable, client: new DynamoDBClient({}) }),
    notify: async (subject, message) => {
      await sns.send(new PublishCommand({ TopicArn: config.topicArn, Subject: subject, Message: message }));
    },
    metrics: new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME,
    }),
    logger: createServiceLogger(),
  };
}
