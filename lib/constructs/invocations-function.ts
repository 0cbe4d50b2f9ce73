import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EnvVar } from '../../src/shared/env.js';
import { INVOCATIONS_BUNDLING, invocationsNodeOptions } from './invocations-bundling.js';
import { Defaults } from '../../src/shared/limits.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../src/shared/metrics.js';
import { DEFAULT_SESSION_TTL_DAYS } from '../../src/shared/sessions.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_ENTRY = fileURLToPath(new URL('../../functions/invocations/handler.ts', import.meta.url));

export interface InvocationsFunctionProps {
  /** The session table; the function gets read/write access to this table only. */
  readonly sessionTable: dynamodb.ITable;
  /**
   * Name served at `/serving-endpoints/{name}/invocations`.
   * @default Defaults.endpointName ('rag')
   */
  readonly endpointName?: string;
  /**
   * How long a stored turn lives; passed to the function as `SESSION_TTL_DAYS`.
   * @default Duration.days(DEFAULT_SESSION_TTL_DAYS) (30 days)
   */
  readonly sessionTtl?: Duration;
  /**
   * Memory in MB (128–10240); CPU and network scale with it.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Lambda timeout.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Time budget of one request inside the handler; must end before `timeout` so the handler can
   * answer `504 DEADLINE_EXCEEDED` itself instead of being killed.
   * @default Duration.millis(Defaults.requestTimeoutMs) (25 s)
   */
  readonly requestTimeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Removal policy of the function's log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Version string reported by `GET /version` (`RAG_VERSION`).
   * @default - not set; the handler reports its own default
   */
  readonly version?: string;
  /**
   * Additional environment variables (names from `src/shared/env.ts`). Never secrets: those are
   * read from Secrets Manager at runtime.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Run with `--enable-source-maps`, so stack traces in the logs point into the TypeScript sources.
   * It costs about 40 ms of init (Node parses the whole .map file at load); without it, traces point
   * into the bundle and the shipped .map file maps them offline.
   * @default false
   */
  readonly enableSourceMaps?: boolean;
  /**
   * Handler entry file exporting `handler`.
   * @default functions/invocations/handler.ts
   */
  readonly entry?: string;
}

/**
 * The invocations Lambda (DESIGN 1): Node 24 on arm64, bundled with the local esbuild into one
 * minified ESM file with the AWS SDK inside (DESIGN 7: the runtime's external SDK is slower to load),
 * X-Ray tracing on, logs in a log group with a fixed retention, and a role that may write to
 * that log group and read/write the session table, nothing else.
 */
export class InvocationsFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: InvocationsFunctionProps) {
    super(scope, id);

    const memorySize = props.memorySize ?? 1024;
    const timeout = props.timeout ?? Duration.seconds(30);
    const requestTimeout = props.requestTimeout ?? Duration.millis(Defaults.requestTimeoutMs);
    const sessionTtl = props.sessionTtl ?? Duration.days(DEFAULT_SESSION_TTL_DAYS);
    const endpointName = props.endpointName ?? Defaults.endpointName;
    validate({ memorySize, timeout, requestTimeout, sessionTtl, endpointName });
    const nodeOptions = invocationsNodeOptions({ enableSourceMaps: props.enableSourceMaps ?? false });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // Own role instead of AWSLambdaBasicExecutionRole: log writes only to this function's log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Invocations function: its log group, X-Ray, and the session table',
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry ?? DEFAULT_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      description: `Serves /serving-endpoints/${endpointName}/invocations`,
      environment: {
        ...props.environment,
        [EnvVar.endpointName]: endpointName,
        [EnvVar.sessionTable]: props.sessionTable.tableName,
        [EnvVar.sessionTtlDays]: String(sessionTtl.toDays()),
        [EnvVar.requestTimeoutMs]: String(requestTimeout.toMilliseconds()),
        ...(props.version === undefined ? {} : { [EnvVar.version]: props.version }),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...(nodeOptions !== undefined && { NODE_OPTIONS: nodeOptions }),
      },
      bundling: INVOCATIONS_BUNDLING,
    });

    props.sessionTable.grantReadWriteData(this.function);
  }
}

function validate(values: {
  memorySize: number;
  timeout: Duration;
  requestTimeout: Duration;
  sessionTtl: Duration;
  endpointName: string;
}): void {
  const { memorySize, timeout, requestTimeout, sessionTtl, endpointName } = values;
  if (
    !Token.isUnresolved(memorySize) &&
    (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240)
  ) {
    throw new Error(`memorySize must be a whole number of MB between 128 and 10240, got ${memorySize}`);
  }
  if (timeout.toSeconds() > 900) {
    throw new Error(`timeout must be at most 900 seconds (the Lambda maximum), got ${timeout.toSeconds()}`);
  }
  if (requestTimeout.toMilliseconds() >= timeout.toMilliseconds()) {
    throw new Error(
      `requestTimeout (${requestTimeout.toMilliseconds()} ms) must be shorter than timeout (${timeout.toMilliseconds()} ms); ` +
        'otherwise Lambda kills the request before the handler can answer 504',
    );
  }
  if (!Number.isInteger(sessionTtl.toDays({ integral: false })) || sessionTtl.toDays() < 1) {
    throw new Error(
      `sessionTtl must be a whole number of days (at least 1), got ${sessionTtl.toHumanString()}`,
    );
  }
  if (!Token.isUnresolved(endpointName) && !/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(endpointName)) {
    throw new Error(
      `endpointName must be 1-63 letters, digits, - or _, starting alphanumeric; got '${endpointName}'`,
    );
  }
}
