import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EnvVar } from '../../src/shared/env.js';
import { SERVICE_NAME } from '../../src/shared/metrics.js';
import { BundledFunction } from './bundled-function.js';

const DEFAULT_ENTRY = fileURLToPath(new URL('../../functions/authorizer/handler.ts', import.meta.url));

export interface AuthorizerFunctionProps {
  /** The `service` field of its logs: `serviceNameFor(stage)`. @default SERVICE_NAME */
  readonly serviceName?: string;
  /** Token records (hashes only); the authorizer may read single items of it (GetItem) and nothing else. */
  readonly tokenTable: dynamodb.ITable;
  /** @default 256 */
  readonly memorySize?: number;
  /** API Gateway gives up on an authorizer after 10 s. @default Duration.seconds(5) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default functions/authorizer/handler.ts */
  readonly entry?: string;
}

/** The TOKEN authorizer Lambda: bearer (or Databricks-style Basic) token → principal, scopes, namespace. */
export class AuthorizerFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AuthorizerFunctionProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(5);
    if (timeout.toSeconds() > 10) {
      throw new Error(
        `timeout must be at most 10 seconds: API Gateway stops waiting for an authorizer after 10 s; got ${timeout.toSeconds()}`,
      );
    }

    const bundled = new BundledFunction(this, 'Bundled', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: 'TOKEN authorizer: bearer token to principal, scopes and namespace',
      roleDescription: 'Authorizer function: its log group, X-Ray, and reads of the token table',
      memorySize: props.memorySize ?? 256,
      timeout,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        [EnvVar.tokenTable]: props.tokenTable.tableName,
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? SERVICE_NAME,
      },
    });
    this.function = bundled.function;
    this.logGroup = bundled.logGroup;
    this.role = bundled.role;

    props.tokenTable.grant(this.role, 'dynamodb:GetItem');
  }
}
