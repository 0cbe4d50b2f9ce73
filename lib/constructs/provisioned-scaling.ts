import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ProvisionedScalingProps {
  /** The function to publish; its current version goes behind the alias. */
  readonly function: lambda.Function;
  /** @default 'live' */
  readonly aliasName?: string;
  /** Provisioned environments kept initialized at all times (at least 1). */
  readonly minCapacity: number;
  /** Upper bound of provisioned concurrency. */
  readonly maxCapacity: number;
  /**
   * Share of provisioned environments in use that target tracking keeps (0.1–0.9).
   * @default 0.7
   */
  readonly targetUtilization?: number;
}

/**
 * Databricks' "provisioned throughput with autoscaling" on Lambda (DESIGN 1): the function's
 * current version behind an alias with provisioned concurrency, which Application Auto Scaling
 * moves between min and max by tracking `LambdaProvisionedConcurrencyUtilization`. Callers must
 * invoke the alias: provisioned concurrency does nothing for `$LATEST`.
 *
 * The alias itself sets no provisioned concurrency: registering the scalable target raises it to
 * min, and from then on only scaling changes it. A value on the alias would be written again by
 * every deployment that touches the alias, undoing what scaling had raised it to under load.
 */
export class ProvisionedScaling extends Construct {
  readonly alias: lambda.Alias;

  constructor(scope: Construct, id: string, props: ProvisionedScalingProps) {
    super(scope, id);
    const targetUtilization = props.targetUtilization ?? 0.7;
    if (!Number.isInteger(props.minCapacity) || props.minCapacity < 1) {
      throw new Error(`minCapacity must be a whole number of at least 1, got ${props.minCapacity}`);
    }
    if (!Number.isInteger(props.maxCapacity) || props.maxCapacity < props.minCapacity) {
      throw new Error(
        `maxCapacity must be a whole number of at least minCapacity (${props.minCapacity}), got ${props.maxCapacity}`,
      );
    }
    if (targetUtilization < 0.1 || targetUtilization > 0.9) {
      throw new Error(`targetUtilization must be between 0.1 and 0.9, got ${targetUtilization}`);
    }

    this.alias = new lambda.Alias(this, 'Alias', {
      aliasName: props.aliasName ?? 'live',
      version: props.function.currentVersion,
      description: 'The version API Gateway serves; CodeDeploy shifts it to new versions',
    });
    this.alias
      .addAutoScaling({ minCapacity: props.minCapacity, maxCapacity: props.maxCapacity })
      .scaleOnUtilization({ utilizationTarget: targetUtilization });
  }
}
