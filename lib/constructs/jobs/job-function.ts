import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EnvVar } from '../../../src/shared/env.js';
import { JobsEnvVar } from '../../../src/shared/jobs.js';
import { METRICS_NAMESPACE } from '../../../src/shared/metrics.js';
import { BundledFunction } from '../bundled-function.js';

export interface JobFunctionProps {
  /** TypeScript entry file exporting `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly roleDescription: string;
  /** The `service` dimension of its metrics (`serviceNameFor(stage)`). */
  readonly serviceName: string;
  /** The stage, named in run notifications. */
  readonly stage: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Never secrets. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * A job function (ingestion worker, batch answers, run report): a BundledFunction that writes its
 * metrics under the stage's service name and logs at INFO (each run's summary is an INFO line).
 * Its role starts with its log group and X-Ray; the workflows grant the rest, each the least it needs.
 */
export class JobFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: JobFunctionProps) {
    super(scope, id);
    const bundled = new BundledFunction(this, 'Bundled', {
      entry: props.entry,
      description: props.description,
      roleDescription: props.roleDescription,
      memorySize: props.memorySize,
      timeout: props.timeout,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        ...props.environment,
        [JobsEnvVar.stage]: props.stage,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        [EnvVar.logLevel]: 'INFO',
      },
    });
    this.function = bundled.function;
    this.role = bundled.role;
    this.logGroup = bundled.logGroup;
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords do not support ' +
        'resource-level permissions, so their only valid resource is *.',
    });
  }
}
