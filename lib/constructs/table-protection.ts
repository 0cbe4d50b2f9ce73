import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';

/** How a table of the stateful stack guards its data; every table takes these props. */
export interface TableProtectionProps {
  /**
   * What happens to the table (and its data) when the stack is deleted or the table replaced.
   * Only `RETAIN` and `DESTROY` are accepted; use `DESTROY` for disposable dev stages only.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Continuous backups with point-in-time recovery (35 days).
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
  /**
   * Refuse table deletion until deletion protection is switched off.
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/**
 * The table properties every table of the project shares: on-demand billing, encryption at rest
 * with the AWS-owned DynamoDB key made explicit (AWS_MANAGED), and the protection settings.
 * @throws Error for a removal policy other than RETAIN/DESTROY, or DESTROY with deletion protection.
 */
export function protectedTableProps(
  props: TableProtectionProps,
): Pick<
  dynamodb.TableProps,
  'billingMode' | 'encryption' | 'pointInTimeRecoverySpecification' | 'deletionProtection' | 'removalPolicy'
> {
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
  if (removalPolicy !== RemovalPolicy.RETAIN && removalPolicy !== RemovalPolicy.DESTROY) {
    throw new Error(`removalPolicy must be RETAIN or DESTROY for a table, got ${removalPolicy}`);
  }
  if (props.deletionProtection && removalPolicy === RemovalPolicy.DESTROY) {
    throw new Error('deletionProtection with removalPolicy DESTROY would block stack deletion; choose one');
  }
  return {
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true },
    deletionProtection: props.deletionProtection ?? false,
    removalPolicy,
  };
}
