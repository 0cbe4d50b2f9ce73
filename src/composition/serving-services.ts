import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RagPipeline, type PipelinePorts } from '../core/pipeline.js';
import { systemClock } from '../core/ports/clock.js';
import { loadServingConfig, type ServingConfig } from '../config/serving-config.js';
import { ServingMetrics } from '../observability/serving-metrics.js';
import { loadSecurityConfig } from '../config/security-config.js';
import { pipelinePorts } from './pipeline-ports.js';
import { dynamoClientForEndpoint } from './dynamo-client.js';
import { securityServices, type SecurityServices } from './security-services.js';

/** Everything a serving handler needs, built once per container. */
export interface ServingServices {
  readonly config: ServingConfig;
  readonly pipeline: RagPipeline;
  readonly logger: Logger;
  readonly metrics: ServingMetrics;
  /** Session API, quotas, redacting logger. */
  readonly security: SecurityServices;
}

/** A DynamoDB client for the configured endpoint; a local endpoint gets explicit dummy credentials and region. */
export function dynamoClientFor(config: Pick<ServingConfig, 'dynamodbEndpoint'>): DynamoDBClient {
  return dynamoClientForEndpoint(config.dynamodbEndpoint);
}

export function servingServices(
  config: ServingConfig,
  ports: PipelinePorts,
  security: SecurityServices,
): ServingServices {
  return {
    config,
    pipeline: new RagPipeline(ports),
    logger: security.logger,
    metrics: new ServingMetrics(),
    security,
  };
}

export async function servingServicesFromEnvironment(env: NodeJS.ProcessEnv): Promise<ServingServices> {
  const config = loadServingConfig(env);
  const dynamo = dynamoClientFor(config);
  const security = securityServices(loadSecurityConfig(env), config, dynamo, systemClock);
  return servingServices(config, await pipelinePorts(config, dynamo), security);
}
