import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * esbuild emits ESM, but bundled CommonJS dependencies still call `require` for Node built-ins.
 * The alias avoids clashing with a bundled module's own top-level `createRequire` import.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __ragCreateRequire } from 'node:module'; const require = __ragCreateRequire(import.meta.url);";

/**
 * How every function of the project is bundled (DESIGN 7): the local esbuild (no Docker), one
 * minified ESM file with the AWS SDK inside (the runtime's external SDK loads slower) and the SDK's
 * ESM builds picked through `mainFields`, with an external source map.
 */
export const ESM_BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  // Error classes set `name` from `new.target.name`; keep it readable in logs.
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: true,
  forceDockerBundling: false,
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
      environment: {
        ...props.environment,
        // Stack traces point into the TypeScript sources (the bundle ships an external .map file).
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: ESM_BUNDLING,
    });
  }
}
