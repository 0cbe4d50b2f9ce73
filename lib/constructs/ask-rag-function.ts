import { fileURLToPath } from 'node:url';
import { Duration, Token, Validations } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EnvVar } from '../../src/shared/env.js';
import { Defaults } from '../../src/shared/limits.js';
import { DEFAULT_SESSION_TTL_DAYS } from '../../src/shared/sessions.js';
import { BundledFunction } from './bundled-function.js';
import { grantBedrockServing, type BedrockAccess, type PineconeAccess } from './bedrock-access.js';
import { pipelineEnvironment } from './invocations-function.js';

const ENTRY = fileURLToPath(new URL('../../functions/ask-rag-udf/handler.ts', import.meta.url));

/**
 * What answering a turn does to the session table: claim the session (GetItem, conditional
 * UpdateItem), read recent turns (Query on the table), store the turn (PutItem). No deletes, no
 * batch writes, no owner index: the UDF neither erases nor lists sessions.
 */
const TURN_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'];

export interface AskRagFunctionProps {
  /** The `service` dimension of its metrics and logs. @default SERVICE_NAME */
  readonly serviceName?: string;
  /** The session table; turns asked from SQL are stored here, as those asked over the API. */
  readonly sessionTable: dynamodb.ITable;
  /** Usage counters for quotas. @default - no usage table: no quota counters */
  readonly usageTable?: dynamodb.ITable;
  /** Per-principal quotas, counted per row. @default - unlimited */
  readonly quotas?: { readonly requestsPerMinute: number; readonly tokensPerMinute: number };
  /** Bedrock models and guardrail; with `pinecone`, the cloud backend. @default - the embedded local defaults */
  readonly bedrock?: BedrockAccess;
  /** Pinecone index and API key secret; required together with `bedrock`. @default - none */
  readonly pinecone?: PineconeAccess;
  /** How long a stored turn lives. @default Duration.days(DEFAULT_SESSION_TTL_DAYS) */
  readonly sessionTtl?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
  /**
   * Lambda timeout: a batch of rows must be answered within it (rows that would start too late
   * answer DEADLINE_EXCEEDED). @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /** Time budget of one row; shorter than `timeout`. @default Duration.millis(Defaults.requestTimeoutMs) */
  readonly rowTimeout?: Duration;
  /** Rows answered at once (`RAG_BATCH_CONCURRENCY`), 1–100. @default Defaults.batchConcurrency (8) */
  readonly rowConcurrency?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * `ask_rag(query, session_id)` for Amazon Redshift (DESIGN 1): the Lambda UDF, whose role may use
 * the session table for turns, increment usage counters, call the stage's models and guardrail
 * and read the Pinecone key; and the IAM role Redshift assumes to invoke it (attach it to the
 * cluster or workgroup and name it in CREATE EXTERNAL FUNCTION), which may invoke this function
 * and nothing else.
 */
export class AskRagFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  /** The function's execution role. */
  readonly role: iam.Role;
  /** The role Redshift assumes to invoke the function. */
  readonly redshiftRole: iam.Role;

  constructor(scope: Construct, id: string, props: AskRagFunctionProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.minutes(5);
    const rowTimeout = props.rowTimeout ?? Duration.millis(Defaults.requestTimeoutMs);
    const rowConcurrency = props.rowConcurrency ?? Defaults.batchConcurrency;
    const sessionTtl = props.sessionTtl ?? Duration.days(DEFAULT_SESSION_TTL_DAYS);
    if (rowTimeout.toMilliseconds() >= timeout.toMilliseconds()) {
      throw new Error(
        `rowTimeout (${rowTimeout.toMilliseconds()} ms) must be shorter than timeout (${timeout.toMilliseconds()} ms), or no row could finish`,
      );
    }
    if (
      !Token.isUnresolved(rowConcurrency) &&
      (!Number.isInteger(rowConcurrency) || rowConcurrency < 1 || rowConcurrency > 100)
    ) {
      throw new Error(`rowConcurrency must be a whole number from 1 to 100, got ${rowConcurrency}`);
    }
    if ((props.bedrock === undefined) !== (props.pinecone === undefined)) {
      throw new Error(
        'bedrock and pinecone go together: the cloud backend needs both, the local one neither',
      );
    }

    const bundled = new BundledFunction(this, 'Bundled', {
      entry: ENTRY,
      description: 'ask_rag(query, session_id): the Redshift Lambda UDF of the RAG pipeline',
      roleDescription:
        'ask_rag Redshift UDF: its log group, X-Ray, session turns, usage counters, models and secret',
      memorySize: props.memorySize ?? 1024,
      timeout,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        ...pipelineEnvironment({ ...props, sessionTtl, requestTimeout: rowTimeout }),
        [EnvVar.batchConcurrency]: String(rowConcurrency),
      },
    });
    this.function = bundled.function;
    this.logGroup = bundled.logGroup;
    this.role = bundled.role;

    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SessionTurns',
        actions: TURN_ACTIONS,
        resources: [props.sessionTable.tableArn],
      }),
    );
    props.usageTable?.grant(this.role, 'dynamodb:UpdateItem');
    // Rows are answered whole (Converse), never streamed.
    if (props.bedrock) grantBedrockServing(this.role, props.bedrock, { streaming: false });
    props.pinecone?.apiKeySecret.grantRead(this.role);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords do not support ' +
        'resource-level permissions, so their only valid resource is *.',
    });

    this.redshiftRole = new iam.Role(this, 'RedshiftInvokeRole', {
      assumedBy: new iam.ServicePrincipal('redshift.amazonaws.com'),
      description: 'Assumed by Amazon Redshift to call ask_rag: may invoke the ask_rag function only',
    });
    this.redshiftRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeAskRag',
        actions: ['lambda:InvokeFunction'],
        resources: [this.function.functionArn],
      }),
    );
  }
}
