import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { InvocationsFunction } from '../constructs/invocations-function.js';

export interface ServingStackProps extends StackProps {
  readonly config: StageConfig;
  /** The session table of the stage's stateful stack. */
  readonly sessionTable: dynamodb.ITable;
  /**
   * Version reported by `GET /version`.
   * @default - not set
   */
  readonly version?: string;
}

/**
 * The request path (DESIGN 1): the invocations function for now; the REST API, authorizer,
 * provisioned concurrency, alarms and dashboard join it here.
 */
export class ServingStack extends Stack {
  readonly invocations: InvocationsFunction;

  constructor(scope: Construct, id: string, props: ServingStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.invocations = new InvocationsFunction(this, 'Invocations', {
      sessionTable: props.sessionTable,
      endpointName: config.endpointName,
      sessionTtl: Duration.days(config.sessions.ttlDays),
      memorySize: config.invocations.memorySizeMb,
      timeout: Duration.seconds(config.invocations.timeoutSeconds),
      requestTimeout: Duration.millis(config.invocations.requestTimeoutMs),
      logRetention: config.logRetentionDays,
      logRemovalPolicy:
        config.tables.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      version: props.version,
    });

    Validations.of(this.invocations.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords do not support ' +
        'resource-level permissions, so their only valid resource is *.',
    });
  }
}
