import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RagPipeline, type PipelinePorts } from '../core/pipeline.js';
import { loadServingConfig, type ServingConfig } from '../config/serving-config.js';
import { ServingMetrics } from '../observability/serving-metrics.js';
import { SERVICE_NAME } from '../shared/metrics.js';
import { pipelinePorts } from './pipeline-ports.js';

/** Everything a serving handler needs, built once per container. */
export interface ServingServices {
  readonly config: ServingConfig;
  readonly pipeline: RagPipeline;
  readonly logger: Logger;
  readonly metrics: ServingMetrics;
}

/** A DynamoDB client for the configured endpoint; a local endpoint gets explicit dummy credentials and region. */
export function dynamoClientFor(config: Pick<ServingConfig, 'dynamodbEndpoint'>): DynamoDBClient {
  if (config.dynamodbEndpoint === undefined) return new DynamoDBClient({});
  return new DynamoDBClient({
    endpoint: config.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

export function servingServices(config: ServingConfig, ports: PipelinePorts): ServingServices {
  return {
    config,
    pipeline: new RagPipeline(ports),
    logger: new Logger({ serviceName: SERVICE_NAME }),
    metrics: new ServingMetrics(),
  };
}

export async function servingServicesFromEnvironment(env: NodeJS.ProcessEnv): Promise<ServingServices> {
  const config = loadServingConfig(env);
  return servingServices(config, await pipelinePorts(config, dynamoClientFor(config)));
}

export const indexPathOf = (dataDir: string): string => join(dataDir, 'index.json');
