import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EnvVar } from '../../src/shared/env.js';
import { BundledFunction } from './bundled-function.js';

const DEFAULT_ENTRY = fileURLToPath(new URL('../../functions/pre-traffic-hook/handler.ts', import.meta.url));

export interface PreTrafficHookProps {
  /** The version a deployment is about to send traffic to: the function's `currentVersion`. */
  readonly target: lambda.IVersion;
  /**
   * How long the check may take: every backend is called once, in parallel.
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * CodeDeploy's BeforeAllowTraffic hook (DESIGN 6): a function that invokes the new version with
 * `GET /health?deep=true` and reports the verdict to CodeDeploy, so a release whose backends are
 * misconfigured never takes traffic. It may invoke that one version and nothing else; the
 * deployment group grants it the status report.
 */
export class PreTrafficHook extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PreTrafficHookProps) {
    super(scope, id);
    const bundled = new BundledFunction(this, 'Bundled', {
      entry: DEFAULT_ENTRY,
      description:
        'Pre-traffic hook: runs the deep readiness check on the new version before it takes traffic',
      roleDescription: 'Pre-traffic hook: invoke the new version, report to CodeDeploy',
      memorySize: 256,
      timeout: props.timeout ?? Duration.minutes(1),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      // A new version changes this value, so every release deploys a hook that checks it.
      environment: { [EnvVar.preTrafficTarget]: props.target.functionArn },
    });
    this.function = bundled.function;
    this.role = bundled.role;
    props.target.grantInvoke(this.role);
  }
}
