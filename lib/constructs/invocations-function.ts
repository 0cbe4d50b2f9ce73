import { fileURLToPath } from 'node:url';
import { Duration, Token } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EnvVar } from '../../src/shared/env.js';
import { Defaults } from '../../src/shared/limits.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../src/shared/metrics.js';
import { DEFAULT_SESSION_TTL_DAYS, SESSION_OWNER_INDEX } from '../../src/shared/sessions.js';
import {
  cloudEnvironment,
  grantBedrockServing,
  type BedrockAccess,
  type PineconeAccess,
} from './bedrock-access.js';
import { BundledFunction } from './bundled-function.js';

export type { BedrockAccess, PineconeAccess } from './bedrock-access.js';

const DEFAULT_ENTRY = fileURLToPath(new URL('../../functions/invocations/handler.ts', import.meta.url));

/**
 * What the DynamoDB session store does: single-item reads and (conditional) writes, queries of a
 * session's turns, batch deletes for erasure. No Scan: nothing reads the whole table.
 */
const SESSION_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:Query',
];

export { CLOUD_BACKEND } from './bedrock-access.js';

export interface InvocationsFunctionProps {
  /** The `service` dimension of its metrics: `serviceNameFor(stage)`, so stages never share alarms. @default SERVICE_NAME */
  readonly serviceName?: string;
  /** The session table; the function gets read/write item access to this table. */
  readonly sessionTable: dynamodb.ITable;
  /**
   * Usage counters for quotas; the function may update (atomically increment) items of it.
   * @default - no usage table: no quota counters
   */
  readonly usageTable?: dynamodb.ITable;
  /**
   * Token records (hashes): the function may read single items (GetItem), to check the admin token
   * of `GET /health?deep=true`, which has no authorizer in front of it.
   * @default - no token table: the deep check accepts only principals in the request context
   */
  readonly tokenTable?: dynamodb.ITable;
  /**
   * Per-principal quotas the handler enforces with the usage table (0 means unlimited).
   * @default - the handler's defaults (unlimited)
   */
  readonly quotas?: { readonly requestsPerMinute: number; readonly tokensPerMinute: number };
  /**
   * Bedrock models and guardrail. The function wires only the cloud adapters (`RAG_BACKEND=aws`);
   * the embedded local defaults run with `npm start`, never in Lambda.
   */
  readonly bedrock: BedrockAccess;
  /** Pinecone index and API key secret. */
  readonly pinecone: PineconeAccess;
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
   * A streamed answer's budget until it opens (`RAG_STREAM_FIRST_BYTE_MS`).
   * @default - the request timeout
   */
  readonly streamFirstByte?: Duration;
  /**
   * A streamed answer's budget to its last byte (`RAG_STREAM_TIMEOUT_MS`); must end before `timeout`.
   * @default - the request timeout
   */
  readonly streamTimeout?: Duration;
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
   * Run with `--enable-source-maps` (see BundledFunctionProps.enableSourceMaps).
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
 * The invocations Lambda (DESIGN 1), one streaming handler for every route: a BundledFunction
 * whose role may, besides its log group and X-Ray, use the session table and its owner index (and
 * increment usage counters),
 * invoke the named Bedrock models and apply the named guardrail, and read the Pinecone key secret.
 * Nothing else: no wildcard model, no other table or secret.
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
    const streamTimeout = props.streamTimeout ?? requestTimeout;
    const streamFirstByte = props.streamFirstByte ?? requestTimeout;
    const sessionTtl = props.sessionTtl ?? Duration.days(DEFAULT_SESSION_TTL_DAYS);
    const endpointName = props.endpointName ?? Defaults.endpointName;
    validate({ memorySize, timeout, requestTimeout, sessionTtl, endpointName });
    if (
      streamTimeout.toMilliseconds() >= timeout.toMilliseconds() ||
      streamFirstByte.toMilliseconds() > streamTimeout.toMilliseconds()
    ) {
      throw new Error(
        `streamFirstByte (${streamFirstByte.toMilliseconds()} ms) must be at most streamTimeout ` +
          `(${streamTimeout.toMilliseconds()} ms), which must be shorter than timeout (${timeout.toMilliseconds()} ms)`,
      );
    }

    const bundled = new BundledFunction(this, 'Bundled', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: `Serves /serving-endpoints/${endpointName}/invocations and the other API routes`,
      roleDescription: 'Invocations function: its log group, X-Ray, its tables, models and secret',
      memorySize,
      timeout,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      enableSourceMaps: props.enableSourceMaps ?? false,
      environment: {
        ...props.environment,
        [EnvVar.endpointName]: endpointName,
        ...(props.version !== undefined && { [EnvVar.version]: props.version }),
        ...(props.tokenTable && { [EnvVar.tokenTable]: props.tokenTable.tableName }),
        [EnvVar.streamFirstByteMs]: String(streamFirstByte.toMilliseconds()),
        [EnvVar.streamTimeoutMs]: String(streamTimeout.toMilliseconds()),
        ...pipelineEnvironment({ ...props, sessionTtl, requestTimeout }),
      },
    });
    this.function = bundled.function;
    this.logGroup = bundled.logGroup;
    this.role = bundled.role;

    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SessionTable',
        actions: SESSION_TABLE_ACTIONS,
        resources: [props.sessionTable.tableArn],
      }),
    );
    // Only the owner index `GET /sessions` reads, not `index/*` (which would cover future indexes too).
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SessionOwnerIndex',
        actions: ['dynamodb:Query'],
        resources: [`${props.sessionTable.tableArn}/index/${SESSION_OWNER_INDEX.indexName}`],
      }),
    );
    // Counters are kept with atomic UpdateItem ADDs only; nothing reads or deletes them.
    props.usageTable?.grant(this.role, 'dynamodb:UpdateItem');
    props.tokenTable?.grant(this.role, 'dynamodb:GetItem');
    grantBedrockServing(this.role, props.bedrock);
    props.pinecone.apiKeySecret.grantRead(this.role);
  }
}

/** What a function that runs the pipeline needs to be told, whichever event it answers. */
export interface PipelineEnvironmentProps {
  readonly serviceName?: string;
  readonly sessionTable: dynamodb.ITable;
  readonly sessionTtl: Duration;
  /** Time budget of one request (or one row). */
  readonly requestTimeout: Duration;
  readonly usageTable?: dynamodb.ITable;
  readonly quotas?: { readonly requestsPerMinute: number; readonly tokensPerMinute: number };
  readonly bedrock?: BedrockAccess;
  readonly pinecone?: PineconeAccess;
}

/** The variables the configuration loaders read: tables, time budget, quotas, backends, metrics and log level. */
export function pipelineEnvironment(props: PipelineEnvironmentProps): Record<string, string> {
  return {
    [EnvVar.sessionTable]: props.sessionTable.tableName,
    [EnvVar.sessionTtlDays]: String(props.sessionTtl.toDays()),
    [EnvVar.requestTimeoutMs]: String(props.requestTimeout.toMilliseconds()),
    ...(props.usageTable && { [EnvVar.usageTable]: props.usageTable.tableName }),
    ...(props.quotas && {
      [EnvVar.quotaRpm]: String(props.quotas.requestsPerMinute),
      [EnvVar.quotaTpm]: String(props.quotas.tokensPerMinute),
    }),
    ...(props.bedrock && props.pinecone && cloudEnvironment(props.bedrock, props.pinecone)),
    POWERTOOLS_SERVICE_NAME: props.serviceName ?? SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    // The dashboard's "most cited documents" reads the route's INFO line (src/shared/logs.ts).
    [EnvVar.logLevel]: 'INFO',
  };
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
