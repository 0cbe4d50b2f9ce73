import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { USAGE_TABLE_KEYS, USAGE_TTL_ATTRIBUTE } from '../../src/shared/usage.js';
import { protectedTableProps, type TableProtectionProps } from './table-protection.js';

export type UsageTableProps = TableProtectionProps;

/**
 * Usage counters for quotas: one item per principal and time window under `pk`, incremented
 * atomically (UpdateItem ADD) and expired by DynamoDB TTL once its window is over.
 */
export class UsageTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: UsageTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: USAGE_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: USAGE_TTL_ATTRIBUTE,
      ...protectedTableProps(props),
    });
  }
}
