import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FUNCTION_BUNDLING, functionNodeOptions } from './function-bundling.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** FUNCTION_BUNDLING (shared with the cold-start benchmark), with CDK's own log level. */
export const ESM_BUNDLING: nodejs.BundlingOptions = {
  ...FUNCTION_BUNDLING,
  // Warnings and errors only: the per-file size lines would bury cdk-nag's report.
  logLevel: nodejs.LogLevel.WARNING,
};

export interface BundledFunctionProps {
  /** TypeScript entry file exporting `handler`. */
  readonly entry: string;
  readonly description: string;
  /** Describes the role, for a reader of the IAM console. */
  readonly roleDescription: string;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Never secrets: those are read from Secrets Manager at runtime. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Run with `--enable-source-maps`, so stack traces in the logs point into the TypeScript sources.
   * It costs init time (Node parses the whole .map file at load: +11 to +18 ms of CPU for the
   * invocations function in the cold-start benchmark); without it, traces point into the bundle and
   * the shipped .map file maps them offline.
   * @default false
   */
  readonly enableSourceMaps?: boolean;
}

/**
 * A Node 24 arm64 function bundled with ESM_BUNDLING, X-Ray tracing on, logging to its own log
 * group with a fixed retention, under its own role that may write to that log group and nothing
 * else (instead of AWSLambdaBasicExecutionRole, which allows every log group). Callers grant the rest.
 */
export class BundledFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.roleDescription,
    });
    this.logGroup.grantWrite(this.role);

    const nodeOptions = functionNodeOptions({ enableSourceMaps: props.enableSourceMaps ?? false });
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      description: props.description,
      environment: { ...props.environment, ...(nodeOptions !== undefined && { NODE_OPTIONS: nodeOptions }) },
      bundling: ESM_BUNDLING,
    });
  }
}
