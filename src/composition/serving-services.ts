import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RagPipeline, type PipelinePorts } from '../core/pipeline.js';
import { systemClock } from '../core/ports/clock.js';
import { loadServingConfig, type ServingConfig } from '../config/serving-config.js';
import { ServingMetrics } from '../observability/serving-metrics.js';
import { DynamoSessionStore } from '../adapters/dynamodb/session-store.js';
import { openLocalRetrieval } from '../adapters/local/open-local-retrieval.js';
import { ExtractiveGenerator } from '../adapters/local/extractive-generator.js';
import { RuleGuardrail, denyListFromEnv } from '../adapters/local/rule-guardrail.js';
import { SERVICE_NAME } from '../shared/metrics.js';

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

/** The local adapters of every port: no cloud account needed. */
export async function localPorts(config: ServingConfig, dynamo: DynamoDBClient): Promise<PipelinePorts> {
  const { embedder, index } = await openLocalRetrieval(config.dataDir);
  return {
    embedder,
    index,
    generator: new ExtractiveGenerator(),
    guardrail: new RuleGuardrail({ denyList: denyListFromEnv(config.guardrailDenyList) }),
    sessions: new DynamoSessionStore({
      tableName: config.sessionTable,
      client: dynamo,
      ttlDays: config.sessionTtlDays,
    }),
    clock: systemClock,
  };
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
  return servingServices(config, await localPorts(config, dynamoClientFor(config)));
}

export const indexPathOf = (dataDir: string): string => join(dataDir, 'index.json');
