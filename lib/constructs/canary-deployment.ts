import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface CanaryDeploymentProps {
  /** The alias CodeDeploy shifts from the old version to the new one. */
  readonly alias: lambda.Alias;
  /**
   * How traffic moves to the new version.
   * @default codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES
   */
  readonly deploymentConfig?: codedeploy.ILambdaDeploymentConfig;
  /** Any of these in ALARM stops the deployment and points the alias back at the old version. */
  readonly rollbackAlarms: readonly cloudwatch.IAlarm[];
  /**
   * Runs before any traffic moves; a failed hook fails (and rolls back) the deployment.
   * @default - none
   */
  readonly preTrafficHook?: lambda.IFunction;
}

/**
 * Releases a new function version through CodeDeploy: a `cdk deploy` that publishes a version
 * starts a deployment that runs the pre-traffic hook, then sends a share of traffic to it, watches
 * the alarms, and either completes or rolls back on its own.
 */
export class CanaryDeployment extends Construct {
  readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;

  constructor(scope: Construct, id: string, props: CanaryDeploymentProps) {
    super(scope, id);
    if (props.rollbackAlarms.length === 0) {
      throw new Error(
        'rollbackAlarms must name at least one alarm: a canary without alarms cannot roll back',
      );
    }
    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'DeploymentGroup', {
      alias: props.alias,
      deploymentConfig: props.deploymentConfig ?? codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
      alarms: [...props.rollbackAlarms],
      ...(props.preTrafficHook && { preHook: props.preTrafficHook }),
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
  }
}
