import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { JOBS_TABLE_KEYS, JOBS_TTL_ATTRIBUTE } from '../../src/shared/jobs.js';
import { protectedTableProps, type TableProtectionProps } from './table-protection.js';

export type JobsTableProps = TableProtectionProps;

/**
 * The jobs' state: the ingestion manifest (`pk = MANIFEST#<namespace>#<source>`, `sk = <path>`:
 * each document's content hash, version and chunk ids) and run counters (`pk = RUN#<run id>`,
 * expired by TTL). Losing it costs a re-embedding run, not data: the documents stay in their bucket.
 */
export class JobsTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: JobsTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: JOBS_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: JOBS_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: JOBS_TTL_ATTRIBUTE,
      ...protectedTableProps(props),
    });
  }
}
