import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TOKEN_TABLE_KEYS } from '../../src/shared/tokens.js';
import { protectedTableProps, type TableProtectionProps } from './table-protection.js';

export type TokenTableProps = TableProtectionProps;

/**
 * Token records for the authorizer: one item per token under its public id (`tokenId`), holding a
 * salted hash, the principal, scopes and expiry; never a token itself. No TTL: an expired or
 * revoked record is kept so that its use can still be told apart from an unknown token.
 */
export class TokenTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: TokenTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TOKEN_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      ...protectedTableProps(props),
    });
  }
}
